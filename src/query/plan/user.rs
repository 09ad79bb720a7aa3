//! Procedures an application adds to `CALL` ([`UserProcedure`]): a name, a
//! signature, and a function from argument values to rows.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use crate::query::value::CypherValue;

/// The type of a procedure's argument, as Neo4j's signatures write it
/// (`INTEGER?`: every type here also admits `null`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ArgType {
    /// Any value.
    Any,
    /// An integer.
    Integer,
    /// A float; an integer is accepted and passed as a float.
    Float,
    /// An integer or a float, passed as given.
    Number,
    /// A string.
    String,
    /// A boolean.
    Boolean,
    /// A list.
    List,
    /// A map.
    Map,
    /// A node.
    Node,
    /// A relationship.
    Relationship,
}

impl ArgType {
    /// The type Neo4j's signatures spell `name` (`INTEGER`, `FLOAT`,
    /// `NUMBER`, `STRING`, `BOOLEAN`, `LIST` or `LIST OF …`, `MAP`, `NODE`,
    /// `RELATIONSHIP`, `ANY`; a trailing `?` and the case ignored).
    #[must_use]
    pub fn from_name(name: &str) -> Option<ArgType> {
        let name = name
            .trim()
            .trim_end_matches('?')
            .trim()
            .to_ascii_uppercase();
        Some(match name.as_str() {
            "ANY" => ArgType::Any,
            "INTEGER" | "INT" => ArgType::Integer,
            "FLOAT" => ArgType::Float,
            "NUMBER" => ArgType::Number,
            "STRING" => ArgType::String,
            "BOOLEAN" | "BOOL" => ArgType::Boolean,
            "MAP" => ArgType::Map,
            "NODE" => ArgType::Node,
            "RELATIONSHIP" => ArgType::Relationship,
            list if list == "LIST" || list.starts_with("LIST OF") || list.starts_with("LIST<") => {
                ArgType::List
            }
            _ => return None,
        })
    }

    /// `value` as an argument of this type (an integer made a float for
    /// [`ArgType::Float`]), or `None` when it is not one.
    #[must_use]
    pub fn accept(self, value: CypherValue) -> Option<CypherValue> {
        use CypherValue as V;
        match (self, value) {
            (_, V::Null) => Some(V::Null),
            (ArgType::Float, V::Int(i)) => {
                #[expect(clippy::cast_precision_loss, reason = "Cypher's integer to float")]
                let f = i as f64;
                Some(V::Float(f))
            }
            (ArgType::Any, v)
            | (ArgType::Integer, v @ V::Int(_))
            | (ArgType::Float, v @ V::Float(_))
            | (ArgType::Number, v @ (V::Int(_) | V::Float(_)))
            | (ArgType::String, v @ V::String(_))
            | (ArgType::Boolean, v @ V::Bool(_))
            | (ArgType::List, v @ V::List(_))
            | (ArgType::Map, v @ V::Map(_))
            | (ArgType::Node, v @ V::Node(_))
            | (ArgType::Relationship, v @ V::Relationship(_)) => Some(v),
            _ => None,
        }
    }
}

/// What a procedure's function returns: its rows (each a value per output
/// column, in order), or a message saying why it failed.
pub type ProcedureResult = Result<Vec<Vec<CypherValue>>, String>;

/// A procedure's function.
type Body = dyn Fn(&[CypherValue]) -> ProcedureResult + Send + Sync;

/// A procedure an application adds to Cypher: `CALL name(args) YIELD
/// outputs`, with Neo4j's rules — the arguments are checked against the
/// signature (a literal of the wrong type is a `SyntaxError` before the
/// statement runs, another value a `TypeError` when it does), a statement
/// that is only the `CALL` may leave the arguments implicit (`CALL
/// name`: each read from the parameter of its name) and the `YIELD` out.
/// The function runs once per row reaching the `CALL`, on the calling
/// thread; it sees argument values only, not the transaction.
///
/// ```
/// use quiverdb::query::{ArgType, CypherValue, Params, UserProcedure};
///
/// let double = UserProcedure::new(
///     "example.double",
///     &[("x", ArgType::Integer)],
///     &["y"],
///     |args| match &args[0] {
///         CypherValue::Int(x) => Ok(vec![vec![CypherValue::Int(x * 2)]]),
///         _ => Ok(Vec::new()),
///     },
/// );
/// let dir = tempfile::tempdir()?;
/// let db = quiverdb::Database::open(dir.path())?;
/// db.register_procedure(double)?;
/// let rows = db.execute("CALL example.double(21) YIELD y RETURN y", &Params::new())?;
/// assert_eq!(rows.rows(), [vec![CypherValue::Int(42)]]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct UserProcedure {
    pub(crate) name: String,
    pub(crate) inputs: Vec<(String, ArgType)>,
    pub(crate) outputs: Vec<String>,
    pub(crate) body: Arc<Body>,
}

impl UserProcedure {
    /// The procedure `name` (dotted, e.g. `my.lib.proc`) with `inputs`
    /// (name, type) and `outputs` (column names), calling `body` with
    /// the argument values (in the inputs' order, checked and converted
    /// to their types).
    pub fn new(
        name: &str,
        inputs: &[(&str, ArgType)],
        outputs: &[&str],
        body: impl Fn(&[CypherValue]) -> ProcedureResult + Send + Sync + 'static,
    ) -> UserProcedure {
        UserProcedure {
            name: name.to_owned(),
            inputs: inputs.iter().map(|(n, t)| ((*n).to_owned(), *t)).collect(),
            outputs: outputs.iter().map(|o| (*o).to_owned()).collect(),
            body: Arc::new(body),
        }
    }

    /// Its name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Debug for UserProcedure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserProcedure")
            .field("name", &self.name)
            .field("inputs", &self.inputs)
            .field("outputs", &self.outputs)
            .finish_non_exhaustive()
    }
}

/// The procedures registered on a database when a statement is compiled.
pub(crate) type UserProcedures = HashMap<String, Arc<UserProcedure>>;
