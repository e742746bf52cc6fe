//! One request and its answer, as the emulator's log and `demo` show it.

/// One request and its answer, for the log and for `demo`.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub method: String,
    pub target: String,
    pub request_headers: Vec<(String, String)>,
    pub request_body: String,
    pub status: Option<u16>,
    pub response_headers: Vec<(String, String)>,
    pub response_body: String,
    pub note: String,
}

impl Exchange {
    /// A line of the log that is not an exchange.
    pub(super) fn note(note: String) -> Self {
        Exchange {
            method: "-".into(),
            target: "-".into(),
            request_headers: Vec::new(),
            request_body: String::new(),
            status: None,
            response_headers: Vec::new(),
            response_body: String::new(),
            note,
        }
    }
}

/// One line per request for the log.
pub fn log_line(e: &Exchange) -> String {
    let status = e.status.map_or("---".to_string(), |s| s.to_string());
    format!(
        "{} {} {} {}",
        e.method,
        e.target,
        status,
        crate::escape::term(&e.note)
    )
}
