//! Compiled statements, kept per database: a statement run again (the
//! same text, parameters of the same names) skips parsing and checking;
//! and the procedures the application registered, which statements are
//! compiled against (registering one forgets the compiled plans).
//!
//! A plan depends only on the text and on which parameters are given (a
//! missing one is a compile-time error); what the database holds is read
//! when the plan runs, so a cached plan stays right across commits.

use std::any::Any;
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};
use rustc_hash::FxHashMap;

use super::error::QueryError;
use super::parse::Mode;
use super::plan::Plan;
use super::plan::user::{UserProcedure, UserProcedures};
use super::value::Params;
use crate::txn::{Database, Extension};

/// Statements kept at most; the least recently used goes first.
pub const PLAN_CACHE_CAPACITY: usize = 512;

/// The longest statement kept, in bytes: a longer one is compiled each
/// time it runs, so the cache holds at most a few tens of MiB of text
/// whatever clients send (values belong in parameters).
pub const PLAN_CACHE_MAX_TEXT: usize = 64 << 10;

/// The plan cache: a model with no stored data, registered by the
/// assembly.
#[derive(Default)]
pub(crate) struct PlanCache {
    inner: Mutex<Inner>,
    /// The registered procedures, by name.
    procedures: RwLock<Arc<UserProcedures>>,
}

#[derive(Default)]
struct Inner {
    /// Plans by key, with the tick of their last use.
    plans: FxHashMap<String, (Arc<Plan>, Mode, u64)>,
    tick: u64,
    hits: u64,
}

impl Extension for PlanCache {
    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl PlanCache {
    /// How many statements were found compiled.
    pub fn hits(&self) -> u64 {
        self.inner.lock().hits
    }

    /// The registered procedures.
    pub fn procedures(&self) -> Arc<UserProcedures> {
        Arc::clone(&self.procedures.read())
    }

    /// Registers `p` (replacing one of its name) and forgets every
    /// compiled plan, which may have been compiled without it.
    pub fn register(&self, p: UserProcedure) {
        let mut procedures = self.procedures.write();
        let mut next = (**procedures).clone();
        next.insert(p.name.clone(), Arc::new(p));
        *procedures = Arc::new(next);
        self.inner.lock().plans.clear();
    }
}

/// The key of `text` run with `params`: the text, then the parameter
/// names in order.
fn key(text: &str, params: &Params) -> String {
    let mut names: Vec<&str> = params.keys().map(String::as_str).collect();
    names.sort_unstable();
    let mut key = String::with_capacity(text.len() + 16 * names.len());
    key.push_str(text);
    for name in names {
        key.push('\0');
        key.push_str(name);
    }
    key
}

/// The plan of `text` with `params` on `db`: cached, or compiled now
/// (`compile`) and cached when it compiles.
pub(crate) fn prepared(
    db: &Database,
    text: &str,
    params: &Params,
    compile: impl FnOnce() -> Result<(Plan, Mode), QueryError>,
) -> Result<(Arc<Plan>, Mode), QueryError> {
    if text.len() > PLAN_CACHE_MAX_TEXT {
        let (plan, mode) = compile()?;
        return Ok((Arc::new(plan), mode));
    }
    let cache = db.extension::<PlanCache>();
    let key = key(text, params);
    {
        let mut inner = cache.inner.lock();
        inner.tick += 1;
        let tick = inner.tick;
        if let Some((plan, mode, used)) = inner.plans.get_mut(&key) {
            *used = tick;
            let found = (Arc::clone(plan), *mode);
            inner.hits += 1;
            return Ok(found);
        }
    }
    let (plan, mode) = compile()?;
    let plan = Arc::new(plan);
    let mut inner = cache.inner.lock();
    if inner.plans.len() >= PLAN_CACHE_CAPACITY
        && let Some(oldest) = inner
            .plans
            .iter()
            .min_by_key(|(_, (_, _, used))| *used)
            .map(|(k, _)| k.clone())
    {
        inner.plans.remove(&oldest);
    }
    let tick = inner.tick;
    inner.plans.insert(key, (Arc::clone(&plan), mode, tick));
    Ok((plan, mode))
}
