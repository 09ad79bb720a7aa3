//! `quiverdb._quiverdb`: the extension module of the `quiverdb` Python
//! package (python/quiverdb wraps it). The library does the work; this
//! crate converts values, maps errors (`error.rs`, in one place) and
//! releases the GIL around every call that waits.

mod algo;
mod arrow;
mod database;
mod error;
mod import;
mod result;
mod stream;
mod values;
mod vector;

use pyo3::prelude::*;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[pymodule]
fn _quiverdb(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<database::Database>()?;
    m.add_class::<database::ReadTransaction>()?;
    m.add_class::<database::WriteTransaction>()?;
    m.add_class::<result::QueryResult>()?;
    m.add_class::<result::Rows>()?;
    m.add_class::<stream::RowStream>()?;
    m.add_class::<stream::Batches>()?;
    m.add_class::<values::Node>()?;
    m.add_class::<values::Relationship>()?;
    m.add_class::<values::Path>()?;
    m.add("FORMAT_VERSION", quiverdb::FORMAT_VERSION)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
