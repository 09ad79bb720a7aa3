//! Failpoints: named places where a test can make the process die, to
//! check what a crash there leaves behind. Compiled only for the crate's
//! own tests and with the opt-in `failpoints` feature; in every other
//! build [`hit`] is an empty function, and nothing — no environment
//! variable, no call — can make a library path abort its host process.

/// Dies here if the test armed `name` (see [`arm`]).
#[cfg(any(test, feature = "failpoints"))]
pub(crate) fn hit(name: &str) {
    if armed().lock().iter().any(|n| n == name) {
        std::process::abort();
    }
}

/// Dies here if the test armed `name` (never, in this build).
#[cfg(not(any(test, feature = "failpoints")))]
#[inline]
pub(crate) fn hit(_name: &str) {}

#[cfg(any(test, feature = "failpoints"))]
fn armed() -> &'static parking_lot::Mutex<Vec<String>> {
    static ARMED: std::sync::OnceLock<parking_lot::Mutex<Vec<String>>> = std::sync::OnceLock::new();
    ARMED.get_or_init(Default::default)
}

/// Makes the process abort when it reaches failpoint `name` (the places
/// are the steps of a bulk import's commit: `import-marker-written`,
/// `import-ingested:<column family>` after each family that had files, and
/// `import-committed`). For crash tests, in a child process.
#[cfg(any(test, feature = "failpoints"))]
pub fn arm(name: &str) {
    armed().lock().push(name.to_owned());
}
