//! The Python package's test suite (src/python/tests), run by pytest
//! against the extension built from this checkout.
//!
//! Needs a Python interpreter with maturin and pytest, named by
//! `QUIVER_PYTHON` (for example a venv's `bin/python`). Without it the
//! test says so and passes, unless `QUIVER_REQUIRE_PYTHON=1` (set by
//! `.ci/run`), where a missing interpreter is a failure: CI cannot skip it
//! silently. The extension is built in release mode into the same target
//! directory as this test, so RocksDB is compiled once for both.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    reason = "test code: a panic is the failure report"
)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    // <target>/release/deps/python-<hash>
    let exe = std::env::current_exe().unwrap();
    exe.ancestors().nth(3).unwrap().to_owned()
}

fn run(cmd: &mut Command, what: &str) {
    let status = cmd.status().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(status.success(), "{what} failed ({status})");
}

#[test]
fn python_package_suite() {
    let Some(python) = std::env::var_os("QUIVER_PYTHON") else {
        assert!(
            std::env::var("QUIVER_REQUIRE_PYTHON").as_deref() != Ok("1"),
            "QUIVER_REQUIRE_PYTHON=1 but QUIVER_PYTHON names no interpreter"
        );
        eprintln!(
            "skipped: set QUIVER_PYTHON to a Python (>= 3.9) with maturin and pytest \
             to run the Python package's tests (see docs/PYTHON.md)"
        );
        return;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let crate_dir = root.join("src/python");
    let prefix = Command::new(&python)
        .args(["-c", "import sys; print(sys.prefix)"])
        .output()
        .expect("QUIVER_PYTHON runs");
    assert!(prefix.status.success(), "QUIVER_PYTHON does not run");
    let prefix = String::from_utf8(prefix.stdout).unwrap().trim().to_owned();
    run(
        Command::new(&python)
            .args(["-m", "maturin", "develop", "--release", "--quiet"])
            .current_dir(&crate_dir)
            .env("VIRTUAL_ENV", &prefix)
            .env("CARGO_TARGET_DIR", target_dir()),
        "maturin develop (the extension's build)",
    );
    let mut pytest = Command::new(&python);
    pytest
        .args(["-m", "pytest", "-q", "tests"])
        .current_dir(&crate_dir);
    // The CLI, for the suite's check that Python's rows are the Rust API's.
    if let Some(bin) = option_env!("CARGO_BIN_EXE_quiver") {
        pytest.env("QUIVER_BIN", bin);
    }
    run(&mut pytest, "pytest src/python/tests");
}
