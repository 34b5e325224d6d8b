//! The importer's own tests: workbooks written to a folder and read back.

mod choice_file;
