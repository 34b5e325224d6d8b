//! Typed columns: text as small integer codes into a dictionary of its distinct values (a choice
//! column of 100,000 answers is 100,000 bytes and a handful of strings), numbers as `f64`.

use std::collections::HashMap;

/// Code 0 of every text column: no value (an empty cell, a null).
pub const NO_VALUE: u32 = 0;

/// Codes per row, one byte each while the column has at most 256 distinct values (every choice list
/// does), four bytes past that.
#[derive(Debug, Clone)]
pub enum Codes {
    Narrow(Vec<u8>),
    Wide(Vec<u32>),
}

impl Codes {
    pub fn len(&self) -> usize {
        match self {
            Codes::Narrow(c) => c.len(),
            Codes::Wide(c) => c.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The code of row `i`.
    #[inline]
    pub fn get(&self, i: usize) -> u32 {
        match self {
            Codes::Narrow(c) => c[i] as u32,
            Codes::Wide(c) => c[i],
        }
    }

    /// The first row holding `code`.
    pub fn first_row_of(&self, code: u32) -> Option<usize> {
        (0..self.len()).find(|&i| self.get(i) == code)
    }

    /// Every row's code, in order.
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    /// Maps every row's code through `table` (one entry per code) into `out`, which is cleared first.
    pub fn map_into<T: Copy>(&self, table: &[T], out: &mut Vec<T>) {
        out.clear();
        match self {
            Codes::Narrow(c) => out.extend(c.iter().map(|&x| table[x as usize])),
            Codes::Wide(c) => out.extend(c.iter().map(|&x| table[x as usize])),
        }
    }
}

/// A text column: codes per row into `values`, whose entry 0 is "no value".
#[derive(Debug, Clone)]
pub struct TextColumn {
    codes: Codes,
    values: Vec<Option<String>>,
}

impl TextColumn {
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    pub fn codes(&self) -> &Codes {
        &self.codes
    }

    /// The distinct values, indexed by code (entry 0 is `None`, no value).
    pub fn values(&self) -> &[Option<String>] {
        &self.values
    }

    /// The value of row `i`.
    pub fn get(&self, i: usize) -> Option<&str> {
        self.values[self.codes.get(i) as usize].as_deref()
    }
}

/// A column of numbers; NaN is no value. `whole` when the layout types it as whole numbers.
#[derive(Debug, Clone)]
pub struct NumberColumn {
    pub values: Vec<f64>,
    pub whole: bool,
}

impl NumberColumn {
    /// A number as the flat layout writes it: whole numbers without a decimal point.
    pub fn format(&self, i: usize) -> Option<String> {
        let x = self.values[i];
        if x.is_nan() {
            None
        } else if self.whole {
            Some((x as i64).to_string())
        } else {
            Some(x.to_string())
        }
    }
}

/// One column of a table.
#[derive(Debug, Clone)]
pub enum Column {
    Text(TextColumn),
    Number(NumberColumn),
}

impl Column {
    pub fn len(&self) -> usize {
        match self {
            Column::Text(t) => t.len(),
            Column::Number(n) => n.values.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Row `i` as text (numbers formatted as the layout writes them).
    pub fn text(&self, i: usize) -> Option<String> {
        match self {
            Column::Text(t) => t.get(i).map(str::to_owned),
            Column::Number(n) => n.format(i),
        }
    }

    /// Codes of the column's distinct values in order of first appearance (no value included, as
    /// `None`): how design columns and domains are told apart.
    pub fn first_appearance_codes(&self) -> (Vec<u32>, Vec<Option<String>>) {
        let rows = self.len();
        let mut out = Vec::with_capacity(rows);
        let mut values = Vec::new();
        match self {
            Column::Text(t) => {
                // Dictionary codes to codes of first appearance: one small table, one pass.
                let mut renumber = vec![u32::MAX; t.values.len()];
                for c in t.codes.iter() {
                    let r = &mut renumber[c as usize];
                    if *r == u32::MAX {
                        *r = values.len() as u32;
                        values.push(t.values[c as usize].clone());
                    }
                    out.push(*r);
                }
            }
            Column::Number(n) => {
                let mut index: HashMap<u64, u32> = HashMap::new();
                for (i, x) in n.values.iter().enumerate() {
                    let key = if x.is_nan() { u64::MAX } else { x.to_bits() };
                    let next = index.len() as u32;
                    let code = *index.entry(key).or_insert_with(|| {
                        values.push(n.format(i));
                        next
                    });
                    out.push(code);
                }
            }
        }
        (out, values)
    }

    /// The column as text: numbers formatted as the layout writes them.
    pub fn into_text(self) -> TextColumn {
        match self {
            Column::Text(t) => t,
            Column::Number(n) => {
                let mut b = TextBuilder::with_capacity(n.values.len());
                for i in 0..n.values.len() {
                    b.push(n.format(i).as_deref());
                }
                b.finish()
            }
        }
    }
}

/// A value's length and first eight bytes: equal sketches are equal values up to eight bytes long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Sketch {
    len: usize,
    head: u64,
}

impl Sketch {
    fn of(bytes: &[u8]) -> Sketch {
        let mut head = 0u64;
        for (i, &b) in bytes.iter().take(8).enumerate() {
            head |= (b as u64) << (8 * i);
        }
        Sketch {
            len: bytes.len(),
            head,
        }
    }

    /// No value: never equal to a value's sketch.
    const NONE: Sketch = Sketch {
        len: usize::MAX,
        head: 0,
    };
}

/// Dictionaries this small are searched in order; larger ones through a hash map.
const LINEAR_SEARCH: usize = 16;

/// Builds a text column a value at a time, coding each value once.
#[derive(Debug)]
pub struct TextBuilder {
    codes: Codes,
    values: Vec<Option<String>>,
    /// Each value's sketch, aligned with `values`: a small dictionary is searched by these, and
    /// only a value longer than a sketch holds is compared whole.
    sketches: Vec<Sketch>,
    /// Value bytes → code, once the dictionary is past [`LINEAR_SEARCH`] values.
    /// (A fast hash: the values are the file's own, hashed once per cell.)
    index: HashMap<Box<[u8]>, u32, foldhash::fast::RandomState>,
}

impl TextBuilder {
    /// A builder with room for `rows` codes (they never grow by reallocation below that).
    pub fn with_capacity(rows: usize) -> TextBuilder {
        TextBuilder {
            codes: Codes::Narrow(Vec::with_capacity(rows)),
            values: vec![None],
            sketches: vec![Sketch::NONE],
            index: HashMap::default(),
        }
    }

    pub fn len(&self) -> usize {
        self.codes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    /// The code of `value`, adding it to the dictionary when new.
    pub fn code_of(&mut self, value: Option<&str>) -> u32 {
        let Some(v) = value else { return NO_VALUE };
        match self.find(v.as_bytes()) {
            Some(code) => code,
            None => self.add(v),
        }
    }

    /// The code of the text `bytes`, adding it when new. The bytes are checked to be UTF-8 only
    /// then: a value already in the dictionary was checked when it was added.
    pub fn code_of_bytes(&mut self, bytes: &[u8]) -> Result<u32, std::str::Utf8Error> {
        match self.find(bytes) {
            Some(code) => Ok(code),
            None => Ok(self.add(std::str::from_utf8(bytes)?)),
        }
    }

    fn find(&self, bytes: &[u8]) -> Option<u32> {
        if self.values.len() <= LINEAR_SEARCH {
            let sketch = Sketch::of(bytes);
            (1..self.values.len())
                .find(|&c| {
                    self.sketches[c] == sketch
                        && (bytes.len() <= 8
                            || self.values[c].as_deref().map(str::as_bytes) == Some(bytes))
                })
                .map(|c| c as u32)
        } else {
            self.index.get(bytes).copied()
        }
    }

    fn add(&mut self, v: &str) -> u32 {
        let code = self.values.len() as u32;
        self.values.push(Some(v.to_owned()));
        self.sketches.push(Sketch::of(v.as_bytes()));
        if self.values.len() > LINEAR_SEARCH {
            if self.index.is_empty() {
                for (c, x) in self.values.iter().enumerate().skip(1) {
                    let key = x.as_deref().unwrap_or_default().as_bytes().into();
                    self.index.insert(key, c as u32);
                }
            } else {
                self.index.insert(v.as_bytes().into(), code);
            }
        }
        code
    }

    /// Appends a row holding `code` (from [`TextBuilder::code_of`]).
    #[inline]
    pub fn push_code(&mut self, code: u32) {
        if let Codes::Narrow(c) = &mut self.codes {
            if code <= u8::MAX as u32 {
                c.push(code as u8);
                return;
            }
            // The 257th distinct value: once, every code so far becomes four bytes.
            let mut wide = Vec::with_capacity(c.capacity());
            wide.extend(c.iter().map(|&x| x as u32));
            self.codes = Codes::Wide(wide);
        }
        if let Codes::Wide(c) = &mut self.codes {
            c.push(code);
        }
    }

    /// Appends the rows of `other` (built from a later part of the same column), recoding them.
    pub fn append(&mut self, other: TextBuilder) {
        let recode: Vec<u32> = other
            .values
            .iter()
            .map(|v| self.code_of(v.as_deref()))
            .collect();
        match other.codes {
            Codes::Narrow(codes) => codes
                .iter()
                .for_each(|&c| self.push_code(recode[c as usize])),
            Codes::Wide(codes) => codes
                .iter()
                .for_each(|&c| self.push_code(recode[c as usize])),
        }
    }

    /// Appends a row holding `value`.
    pub fn push(&mut self, value: Option<&str>) {
        let code = self.code_of(value);
        self.push_code(code);
    }

    pub fn finish(self) -> TextColumn {
        TextColumn {
            codes: self.codes,
            values: self.values,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_widen_past_256_values_and_keep_every_row() {
        let mut b = TextBuilder::with_capacity(4);
        let values: Vec<String> = (0..600).map(|i| format!("v{i}")).collect();
        for v in &values {
            b.push(Some(v));
        }
        b.push(None);
        b.push(Some("v3"));
        let t = b.finish();
        assert!(matches!(t.codes(), Codes::Wide(_)));
        assert_eq!(t.len(), 602);
        for (i, v) in values.iter().enumerate() {
            assert_eq!(t.get(i), Some(v.as_str()));
        }
        assert_eq!(t.get(600), None);
        assert_eq!(t.get(601), Some("v3"));
        assert_eq!(
            t.values().len(),
            601,
            "each distinct value once, plus no value"
        );
    }

    #[test]
    fn first_appearance_codes_follow_the_rows_not_the_dictionary() {
        let mut b = TextBuilder::with_capacity(4);
        for v in ["b", "a", "b", "c"] {
            b.push(Some(v));
        }
        let t = Column::Text(b.finish());
        let (codes, values) = t.first_appearance_codes();
        assert_eq!(codes, vec![0, 1, 0, 2]);
        assert_eq!(
            values,
            vec![Some("b".into()), Some("a".into()), Some("c".into())]
        );
        let n = Column::Number(NumberColumn {
            values: vec![2.0, f64::NAN, 2.0],
            whole: true,
        });
        let (codes, values) = n.first_appearance_codes();
        assert_eq!(codes, vec![0, 1, 0]);
        assert_eq!(values, vec![Some("2".into()), None]);
    }
}
