//! The crate's tests: loading and refusing frames, drawing, and the weights a draw gives.

mod draws;
mod frames;
mod weights;

use std::fmt::Write;

use crate::{draw, DrawOptions, Frame, Sample};

/// A frame of `districts` districts, each with `communes` communes of `villages` villages, sizes
/// between 100 and 200 (so that with four or more units in each parent a draw of 2 leaves none certain
/// by size), and the given `[design]` text.
pub(crate) fn nested_frame(
    districts: usize,
    communes: usize,
    villages: usize,
    design: &str,
) -> Frame {
    let mut text = String::from(
        "[frame]\nid = \"test\"\nprovince = \"Tỉnh Thử\"\nlevels = [\"district\", \"commune\", \"village\"]\nsize_measure = \"adults\"\n\n",
    );
    text.push_str(design);
    for d in 0..districts {
        write!(text, "\n[[units]]\nname = \"Huyện {d}\"\n").unwrap();
        for c in 0..communes {
            write!(text, "[[units.units]]\nname = \"Xã {c}\"\nunits = [\n").unwrap();
            for v in 0..villages {
                let size = 100 + 10 * ((d * 7 + c * 5 + v * 3) % 11);
                writeln!(text, "  {{ name = \"Thôn {v}\", size = {size} }},").unwrap();
            }
            text.push_str("]\n");
        }
    }
    Frame::from_toml(&text, "test.toml").unwrap_or_else(|e| panic!("{e}\n{text}"))
}

pub(crate) const STRATIFIED_PPS: &str = "[design]\nstrata = \"district\"\ninterviews = 16\n[[design.stages]]\nlevel = \"commune\"\ndraw = 2\nmethod = \"pps\"\n[[design.stages]]\nlevel = \"village\"\ndraw = 2\nmethod = \"pps\"\n";

pub(crate) const UNSTRATIFIED_PPS: &str = "[design]\ninterviews = 20\n[[design.stages]]\nlevel = \"district\"\ndraw = 2\nmethod = \"pps\"\n[[design.stages]]\nlevel = \"commune\"\ndraw = 2\nmethod = \"pps\"\n[[design.stages]]\nlevel = \"village\"\ndraw = 2\nmethod = \"pps\"\n";

pub(crate) fn drawn(frame: &Frame, seed: u64) -> Sample {
    draw(
        frame,
        &DrawOptions {
            seed,
            ..DrawOptions::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

pub(crate) fn shipped(name: &str) -> Frame {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../survey-defs/frames")
        .join(name);
    Frame::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

/// The error's text, requiring that it carries `code`.
pub(crate) fn refused(
    result: Result<impl std::fmt::Debug, crate::FrameError>,
    code: &str,
) -> String {
    let e = result.expect_err("refused");
    let codes: Vec<&str> = e.problems().iter().map(|p| p.code).collect();
    assert!(codes.contains(&code), "expected {code}, got {codes:?}: {e}");
    e.to_string()
}
