//! A table of interviews: named, typed columns of equal length.

use crate::column::{Column, NumberColumn, TextBuilder};
use crate::TableError;

/// Named columns of `rows` rows each.
#[derive(Debug, Clone, Default)]
pub struct Table {
    rows: usize,
    names: Vec<String>,
    columns: Vec<Column>,
}

impl Table {
    /// An empty table of `rows` rows, to which columns are added.
    pub fn new(rows: usize) -> Table {
        Table {
            rows,
            names: Vec::new(),
            columns: Vec::new(),
        }
    }

    pub fn height(&self) -> usize {
        self.rows
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        let i = self.names.iter().position(|n| n == name)?;
        Some(&self.columns[i])
    }

    /// Adds (or replaces) a column; it must have one value per row.
    pub fn with_column(&mut self, name: &str, column: Column) -> Result<(), TableError> {
        if column.len() != self.rows {
            return Err(TableError::Build(format!(
                "column '{name}' has {} values for {} rows",
                column.len(),
                self.rows
            )));
        }
        match self.names.iter().position(|n| n == name) {
            Some(i) => self.columns[i] = column,
            None => {
                self.names.push(name.to_owned());
                self.columns.push(column);
            }
        }
        Ok(())
    }

    /// The columns `names` of `parts`, one table below the other. A column that is text in one part
    /// and numbers in another becomes text.
    pub fn stack(parts: &[&Table], names: &[String]) -> Result<Table, TableError> {
        let rows: usize = parts.iter().map(|t| t.rows).sum();
        let mut out = Table::new(rows);
        for name in names {
            let cols: Vec<&Column> = parts
                .iter()
                .map(|t| {
                    t.column(name)
                        .ok_or_else(|| TableError::Build(format!("column '{name}' is missing")))
                })
                .collect::<Result<_, _>>()?;
            let numbers: Option<Vec<&NumberColumn>> = cols
                .iter()
                .map(|c| match c {
                    Column::Number(n) => Some(n),
                    Column::Text(_) => None,
                })
                .collect();
            let stacked = match numbers {
                Some(ns) if ns.iter().all(|n| n.whole == ns[0].whole) => {
                    let mut values = Vec::with_capacity(rows);
                    for n in &ns {
                        values.extend_from_slice(&n.values);
                    }
                    Column::Number(NumberColumn {
                        values,
                        whole: ns[0].whole,
                    })
                }
                _ => {
                    let mut b = TextBuilder::with_capacity(rows);
                    for c in cols {
                        for i in 0..c.len() {
                            b.push(c.text(i).as_deref());
                        }
                    }
                    Column::Text(b.finish())
                }
            };
            out.with_column(name, stacked)?;
        }
        Ok(out)
    }
}
