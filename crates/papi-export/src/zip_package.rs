//! The zip container of an XLSX file (PKWARE's APPNOTE 6.3), written part by part: parts that are
//! already compressed (those rust_xlsxwriter made) are copied as they are, and one part, the `data`
//! sheet, is deflated here as its rows arrive, into a seekable file.
//!
//! Written here rather than with the zip crate because of ZIP64. A large export's `data` part nears
//! or passes 4 GiB of XML, and its size is known only at the end. The zip crate must be told before
//! the part starts whether it is large, and then marks it ZIP64 in the central directory as well,
//! which LibreOffice refuses to open even when the part turns out small. Here, as Python's zipfile
//! does, the local header of the deflated part always has room for 64-bit sizes, and the central
//! directory uses ZIP64 only for a size or an offset that needs it.

use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};

use flate2::write::DeflateEncoder;
use flate2::Compression;

const LOCAL_HEADER: u32 = 0x0403_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const END_OF_CENTRAL_DIRECTORY: u32 = 0x0605_4b50;
const ZIP64_END_OF_CENTRAL_DIRECTORY: u32 = 0x0606_4b50;
const ZIP64_LOCATOR: u32 = 0x0706_4b50;
const ZIP64_EXTRA: u16 = 0x0001;
const MAX_32: u64 = 0xFFFF_FFFF;
const MAX_16: u64 = 0xFFFF;
const LOCAL_HEADER_LEN: u64 = 30;

/// Compression methods.
pub(crate) const STORED: u16 = 0;
pub(crate) const DEFLATED: u16 = 8;

/// Versions needed to extract: 2.0 for deflate, 4.5 for ZIP64.
const VERSION_DEFLATE: u16 = 20;
const VERSION_ZIP64: u16 = 45;
/// Made by: Unix (for the permissions below), APPNOTE 4.5.
const VERSION_MADE_BY: u16 = (3 << 8) | VERSION_ZIP64;
/// rw------- on a regular file, as rust_xlsxwriter writes its parts.
const EXTERNAL_ATTRIBUTES: u32 = 0o100_600 << 16;
/// 1980-01-01 00:00, the first DOS date, as rust_xlsxwriter stamps its parts.
const DOS_DATE: u16 = (1 << 5) | 1;
const DOS_TIME: u16 = 0;

struct Entry {
    name: String,
    method: u16,
    crc: u32,
    compressed: u64,
    size: u64,
    offset: u64,
    /// The local header carries a ZIP64 extra field.
    local_zip64: bool,
}

/// A part being deflated.
struct Deflating {
    encoder: DeflateEncoder<Counted>,
    crc: crc32fast::Hasher,
    size: u64,
    data_start: u64,
}

/// The file, counting the bytes written so far (the offset of what comes next).
struct Counted {
    out: BufWriter<File>,
    written: u64,
}

impl Write for Counted {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.out.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

enum State {
    Plain(Counted),
    Deflating(Box<Deflating>),
    /// After an error: nothing more is written.
    Failed,
}

pub(crate) struct ZipPackage {
    state: State,
    entries: Vec<Entry>,
    limits: Limits,
}

/// From which size, offset or part count a value no longer fits its field and goes in a ZIP64
/// record. The format's own limits, lowered only by the tests so that the ZIP64 records are written
/// and read back without writing 4 GiB.
#[derive(Clone, Copy)]
struct Limits {
    bytes: u64,
    parts: u64,
}

const FORMAT_LIMITS: Limits = Limits {
    bytes: MAX_32,
    parts: MAX_16,
};

impl Limits {
    /// `value` in a 32-bit field: itself, or all ones when the ZIP64 record holds it.
    fn field32(self, value: u64) -> u32 {
        if value >= self.bytes {
            MAX_32 as u32
        } else {
            value as u32
        }
    }

    fn field16(self, parts: u64) -> u16 {
        if parts >= self.parts {
            MAX_16 as u16
        } else {
            parts as u16
        }
    }
}

fn failed() -> io::Error {
    io::Error::other("an earlier error stopped the zip file")
}

impl ZipPackage {
    pub(crate) fn new(file: File) -> ZipPackage {
        ZipPackage::with_limits(file, FORMAT_LIMITS)
    }

    fn with_limits(file: File, limits: Limits) -> ZipPackage {
        ZipPackage {
            state: State::Plain(Counted {
                out: BufWriter::with_capacity(1 << 20, file),
                written: 0,
            }),
            entries: Vec::new(),
            limits,
        }
    }

    fn plain(&mut self) -> io::Result<&mut Counted> {
        match &mut self.state {
            State::Plain(out) => Ok(out),
            State::Deflating(_) => Err(io::Error::other("a deflated part is still open")),
            State::Failed => Err(failed()),
        }
    }

    /// Adds a part whose `compressed` bytes (by `method`) are read from `data`.
    pub(crate) fn add_compressed(
        &mut self,
        name: &str,
        method: u16,
        crc: u32,
        size: u64,
        compressed: u64,
        data: &mut impl Read,
    ) -> io::Result<()> {
        if size >= self.limits.bytes || compressed >= self.limits.bytes {
            return Err(io::Error::other(format!("{name} is too large to copy")));
        }
        let out = self.plain()?;
        let offset = out.written;
        local_header(
            out,
            name,
            VERSION_DEFLATE,
            method,
            crc,
            compressed,
            size,
            None,
        )?;
        let copied = io::copy(&mut data.by_ref().take(compressed), out)?;
        if copied != compressed {
            return Err(io::Error::other(format!(
                "{name}: {copied} bytes instead of {compressed}"
            )));
        }
        self.entries.push(Entry {
            name: name.to_owned(),
            method,
            crc,
            compressed,
            size,
            offset,
            local_zip64: false,
        });
        Ok(())
    }

    /// Starts a part deflated at `level` from the bytes given to `write_deflated`.
    pub(crate) fn start_deflated(&mut self, name: &str, level: u32) -> io::Result<()> {
        let State::Plain(mut out) = std::mem::replace(&mut self.state, State::Failed) else {
            return Err(failed());
        };
        let offset = out.written;
        // Sizes and CRC are filled in by `finish_deflated`; the sizes go in the ZIP64 field, so
        // that any size fits.
        local_header(
            &mut out,
            name,
            VERSION_ZIP64,
            DEFLATED,
            0,
            MAX_32,
            MAX_32,
            Some((0, 0)),
        )?;
        let data_start = out.written;
        self.entries.push(Entry {
            name: name.to_owned(),
            method: DEFLATED,
            crc: 0,
            compressed: 0,
            size: 0,
            offset,
            local_zip64: true,
        });
        self.state = State::Deflating(Box::new(Deflating {
            encoder: DeflateEncoder::new(out, Compression::new(level)),
            crc: crc32fast::Hasher::new(),
            size: 0,
            data_start,
        }));
        Ok(())
    }

    pub(crate) fn write_deflated(&mut self, bytes: &[u8]) -> io::Result<()> {
        let State::Deflating(part) = &mut self.state else {
            return Err(io::Error::other("no deflated part is open"));
        };
        part.crc.update(bytes);
        part.size += bytes.len() as u64;
        part.encoder.write_all(bytes)
    }

    /// Ends the deflated part and writes its CRC and sizes into its local header.
    pub(crate) fn finish_deflated(&mut self) -> io::Result<()> {
        let State::Deflating(part) = std::mem::replace(&mut self.state, State::Failed) else {
            return Err(io::Error::other("no deflated part is open"));
        };
        let Deflating {
            encoder,
            crc,
            size,
            data_start,
        } = *part;
        let mut out = encoder.finish()?;
        let entry = self.entries.last_mut().expect("the open part's entry");
        entry.crc = crc.finalize();
        entry.size = size;
        entry.compressed = out.written - data_start;
        let end = out.written;
        out.out.seek(SeekFrom::Start(entry.offset + 14))?;
        out.out.write_all(&entry.crc.to_le_bytes())?;
        let zip64_values = entry.offset + LOCAL_HEADER_LEN + entry.name.len() as u64 + 4;
        out.out.seek(SeekFrom::Start(zip64_values))?;
        out.out.write_all(&entry.size.to_le_bytes())?;
        out.out.write_all(&entry.compressed.to_le_bytes())?;
        out.out.seek(SeekFrom::Start(end))?;
        self.state = State::Plain(out);
        Ok(())
    }

    /// Writes the central directory and returns the file, flushed.
    pub(crate) fn finish(mut self) -> io::Result<File> {
        let entries = std::mem::take(&mut self.entries);
        let limits = self.limits;
        let out = self.plain()?;
        let directory_start = out.written;
        for e in &entries {
            central_header(out, e, limits)?;
        }
        let directory_len = out.written - directory_start;
        let count = entries.len() as u64;
        if count >= limits.parts || directory_start >= limits.bytes || directory_len >= limits.bytes
        {
            let record = out.written;
            let mut b = Vec::with_capacity(76);
            b.extend_from_slice(&ZIP64_END_OF_CENTRAL_DIRECTORY.to_le_bytes());
            b.extend_from_slice(&44u64.to_le_bytes()); // the record's size after this field
            b.extend_from_slice(&VERSION_MADE_BY.to_le_bytes());
            b.extend_from_slice(&VERSION_ZIP64.to_le_bytes());
            b.extend_from_slice(&0u32.to_le_bytes()); // this disk
            b.extend_from_slice(&0u32.to_le_bytes()); // the disk where the directory starts
            b.extend_from_slice(&count.to_le_bytes());
            b.extend_from_slice(&count.to_le_bytes());
            b.extend_from_slice(&directory_len.to_le_bytes());
            b.extend_from_slice(&directory_start.to_le_bytes());
            b.extend_from_slice(&ZIP64_LOCATOR.to_le_bytes());
            b.extend_from_slice(&0u32.to_le_bytes());
            b.extend_from_slice(&record.to_le_bytes());
            b.extend_from_slice(&1u32.to_le_bytes()); // disks in all
            out.write_all(&b)?;
        }
        let mut b = Vec::with_capacity(22);
        b.extend_from_slice(&END_OF_CENTRAL_DIRECTORY.to_le_bytes());
        b.extend_from_slice(&0u16.to_le_bytes());
        b.extend_from_slice(&0u16.to_le_bytes());
        b.extend_from_slice(&limits.field16(count).to_le_bytes());
        b.extend_from_slice(&limits.field16(count).to_le_bytes());
        b.extend_from_slice(&limits.field32(directory_len).to_le_bytes());
        b.extend_from_slice(&limits.field32(directory_start).to_le_bytes());
        b.extend_from_slice(&0u16.to_le_bytes()); // no comment
        out.write_all(&b)?;
        let State::Plain(out) = self.state else {
            return Err(failed());
        };
        out.out.into_inner().map_err(|e| e.into_error())
    }
}

#[allow(clippy::too_many_arguments)]
fn local_header(
    out: &mut Counted,
    name: &str,
    version: u16,
    method: u16,
    crc: u32,
    compressed: u64,
    size: u64,
    zip64: Option<(u64, u64)>,
) -> io::Result<()> {
    let extra_len: u16 = if zip64.is_some() { 20 } else { 0 };
    let mut b = Vec::with_capacity(LOCAL_HEADER_LEN as usize + name.len() + 20);
    b.extend_from_slice(&LOCAL_HEADER.to_le_bytes());
    b.extend_from_slice(&version.to_le_bytes());
    b.extend_from_slice(&0u16.to_le_bytes()); // flags
    b.extend_from_slice(&method.to_le_bytes());
    b.extend_from_slice(&DOS_TIME.to_le_bytes());
    b.extend_from_slice(&DOS_DATE.to_le_bytes());
    b.extend_from_slice(&crc.to_le_bytes());
    b.extend_from_slice(&(compressed.min(MAX_32) as u32).to_le_bytes());
    b.extend_from_slice(&(size.min(MAX_32) as u32).to_le_bytes());
    b.extend_from_slice(&(name.len() as u16).to_le_bytes());
    b.extend_from_slice(&extra_len.to_le_bytes());
    b.extend_from_slice(name.as_bytes());
    if let Some((size, compressed)) = zip64 {
        b.extend_from_slice(&ZIP64_EXTRA.to_le_bytes());
        b.extend_from_slice(&16u16.to_le_bytes());
        b.extend_from_slice(&size.to_le_bytes());
        b.extend_from_slice(&compressed.to_le_bytes());
    }
    out.write_all(&b)
}

fn central_header(out: &mut Counted, e: &Entry, limits: Limits) -> io::Result<()> {
    // The ZIP64 field holds, in this order, just the values too large for their 32-bit field.
    let mut zip64 = Vec::new();
    for value in [e.size, e.compressed, e.offset] {
        if value >= limits.bytes {
            zip64.extend_from_slice(&value.to_le_bytes());
        }
    }
    let version = if e.local_zip64 || !zip64.is_empty() {
        VERSION_ZIP64
    } else {
        VERSION_DEFLATE
    };
    let mut b = Vec::with_capacity(46 + e.name.len() + 28);
    b.extend_from_slice(&CENTRAL_HEADER.to_le_bytes());
    b.extend_from_slice(&VERSION_MADE_BY.to_le_bytes());
    b.extend_from_slice(&version.to_le_bytes());
    b.extend_from_slice(&0u16.to_le_bytes()); // flags
    b.extend_from_slice(&e.method.to_le_bytes());
    b.extend_from_slice(&DOS_TIME.to_le_bytes());
    b.extend_from_slice(&DOS_DATE.to_le_bytes());
    b.extend_from_slice(&e.crc.to_le_bytes());
    b.extend_from_slice(&limits.field32(e.compressed).to_le_bytes());
    b.extend_from_slice(&limits.field32(e.size).to_le_bytes());
    b.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
    let extra_len = if zip64.is_empty() { 0 } else { 4 + zip64.len() };
    b.extend_from_slice(&(extra_len as u16).to_le_bytes());
    b.extend_from_slice(&0u16.to_le_bytes()); // comment
    b.extend_from_slice(&0u16.to_le_bytes()); // disk
    b.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
    b.extend_from_slice(&EXTERNAL_ATTRIBUTES.to_le_bytes());
    b.extend_from_slice(&limits.field32(e.offset).to_le_bytes());
    b.extend_from_slice(e.name.as_bytes());
    if !zip64.is_empty() {
        b.extend_from_slice(&ZIP64_EXTRA.to_le_bytes());
        b.extend_from_slice(&(zip64.len() as u16).to_le_bytes());
        b.extend_from_slice(&zip64);
    }
    out.write_all(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A package of a stored part, a deflated one and a copied one reads back with the zip crate.
    #[test]
    fn parts_read_back() {
        let (path, _dir) = write_and_read_back(FORMAT_LIMITS);
        let bytes = std::fs::read(path).unwrap();
        assert!(!contains(
            &bytes,
            &ZIP64_END_OF_CENTRAL_DIRECTORY.to_le_bytes()
        ));
    }

    /// With the limits lowered below the deflated part's size, the part count and the offsets, the
    /// package takes its ZIP64 path (sizes and offsets in ZIP64 extra fields, the ZIP64 end of
    /// central directory and its locator) and still reads back, with the zip crate and Python's
    /// zipfile where Python is installed.
    #[test]
    fn the_zip64_records_read_back() {
        let limits = Limits {
            bytes: 100_000,
            parts: 2,
        };
        let (path, _dir) = write_and_read_back(limits);
        let bytes = std::fs::read(&path).unwrap();
        assert!(contains(
            &bytes,
            &ZIP64_END_OF_CENTRAL_DIRECTORY.to_le_bytes()
        ));
        assert!(contains(&bytes, &ZIP64_LOCATOR.to_le_bytes()));
        // The end of central directory points to the ZIP64 record for its count and offset.
        let end = &bytes[bytes.len() - 22..];
        assert_eq!(&end[..4], &END_OF_CENTRAL_DIRECTORY.to_le_bytes());
        assert_eq!(u16::from_le_bytes([end[10], end[11]]), 0xFFFF);
        assert_eq!(
            u32::from_le_bytes([end[16], end[17], end[18], end[19]]),
            0xFFFF_FFFF
        );
        let python = std::process::Command::new("python3")
            .args([
                "-c",
                "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print(len(z.namelist()))",
            ])
            .arg(&path)
            .output();
        if let Ok(out) = python {
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "3");
        }
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    /// Writes a stored part, a deflated part of about 5 MB of sheet XML, and a stored part after it,
    /// then reads all three back with the zip crate.
    fn write_and_read_back(limits: Limits) -> (std::path::PathBuf, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.zip");
        let mut zip = ZipPackage::with_limits(File::create(&path).unwrap(), limits);
        let hello = b"xin chao";
        zip.add_compressed(
            "a.txt",
            STORED,
            crc32fast::hash(hello),
            hello.len() as u64,
            hello.len() as u64,
            &mut &hello[..],
        )
        .unwrap();
        zip.start_deflated("b.xml", 2).unwrap();
        let big: Vec<u8> = (0..200_000u32)
            .flat_map(|i| format!("<c r=\"A{i}\"><v>{i}</v></c>").into_bytes())
            .collect();
        for chunk in big.chunks(70_000) {
            zip.write_deflated(chunk).unwrap();
        }
        zip.finish_deflated().unwrap();
        zip.add_compressed(
            "c.txt",
            STORED,
            crc32fast::hash(hello),
            hello.len() as u64,
            hello.len() as u64,
            &mut &hello[..],
        )
        .unwrap();
        zip.finish().unwrap();

        let mut archive = zip::ZipArchive::new(File::open(&path).unwrap()).unwrap();
        assert_eq!(archive.len(), 3);
        for (name, want) in [
            ("a.txt", &hello[..]),
            ("b.xml", &big),
            ("c.txt", &hello[..]),
        ] {
            let mut got = Vec::new();
            archive
                .by_name(name)
                .unwrap()
                .read_to_end(&mut got)
                .unwrap();
            assert_eq!(got, want, "{name}");
        }
        (path, dir)
    }
}
