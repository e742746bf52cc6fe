//! What one return ended as. A `Judgement` is the conclusion about the final
//! answer (or its absence), made by one constructor per kind of outcome; a
//! `Report` adds what the run knows (the coupon, the attempts, the command
//! that repeats it) and is assembled once. `render` turns it into words.

use serde_json::Value;

use crate::client::ErrorBody;
use crate::exit::Kind;
use crate::request::ReturnRequest;

/// What a dry run would have sent.
#[derive(Debug, Clone)]
pub struct DryRun {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// The conclusion about one answer, or about its absence.
#[derive(Debug, Clone)]
pub struct Judgement {
    pub outcome: Kind,
    pub wechatpay_return_time: Option<String>,
    /// WeChat Pay's error code, when the answer carried one.
    pub code: Option<String>,
    /// WeChat Pay's message with a code; otherwise wxcoupon's own words.
    pub message: Option<String>,
    pub detail: Option<Value>,
    /// One string, Chinese and English: what it means and what to do.
    pub explanation: Option<String>,
    /// Re-running with the same request number may give a definitive answer.
    pub retryable: bool,
    /// Returned, as shown by `RESOURCE_ALREADY_EXISTS` after an attempt that
    /// may have been processed (no return time is known then).
    pub confirmed_by_retry: bool,
    /// The final answer was a 429 and no attempt may have been processed:
    /// safe to retry, and nothing happened (still exit 4).
    pub not_accepted: bool,
    /// Lines for people only (explanations, comparisons, hints).
    pub notes: Vec<String>,
}

impl Judgement {
    fn of(outcome: Kind) -> Self {
        Judgement {
            outcome,
            wechatpay_return_time: None,
            code: None,
            message: None,
            detail: None,
            explanation: None,
            retryable: false,
            confirmed_by_retry: false,
            not_accepted: false,
            notes: Vec::new(),
        }
    }

    /// A verified answer with its return time.
    pub fn returned(time: String) -> Self {
        Judgement {
            wechatpay_return_time: Some(time),
            ..Judgement::of(Kind::Returned)
        }
    }

    /// A verified `RESOURCE_ALREADY_EXISTS` after an attempt that may have
    /// been processed; its code and message are kept as the evidence.
    pub fn confirmed(wx: &ErrorBody, explanation: &str, note: String) -> Self {
        Judgement {
            confirmed_by_retry: true,
            code: Some(wx.code.clone()),
            message: wx.message.clone(),
            explanation: Some(explanation.into()),
            notes: vec![note],
            ..Judgement::of(Kind::Returned)
        }
    }

    /// WeChat Pay said no.
    pub fn rejected(wx: ErrorBody, explanation: Option<String>, notes: Vec<String>) -> Self {
        Judgement {
            code: Some(wx.code),
            message: wx.message,
            detail: wx.detail,
            explanation,
            notes,
            ..Judgement::of(Kind::Rejected)
        }
    }

    /// No definitive answer. `wx` is WeChat Pay's error, when there was one;
    /// otherwise `message` says what happened.
    pub fn unknown(wx: Option<ErrorBody>, message: Option<String>, explanation: String) -> Self {
        let (code, message, detail) = match wx {
            Some(wx) => (Some(wx.code), wx.message, wx.detail),
            None => (None, message, None),
        };
        Judgement {
            code,
            message,
            detail,
            explanation: Some(explanation),
            retryable: true,
            ..Judgement::of(Kind::Unknown)
        }
    }

    /// A 429 that no processed attempt preceded: nothing happened.
    pub fn not_accepted(self) -> Self {
        Judgement {
            not_accepted: true,
            ..self
        }
    }

    /// An answer that may say the return happened, but failed verification.
    pub fn unverified(code: Option<String>, message: String, explanation: &str) -> Self {
        Judgement {
            code,
            message: Some(message),
            explanation: Some(explanation.into()),
            ..Judgement::of(Kind::Unverified)
        }
    }

    /// Bad input, configuration or keys: nothing was sent.
    pub fn invalid(error: &anyhow::Error) -> Self {
        Judgement {
            message: Some(crate::redact::secrets(&format!("{error:#}")).into_owned()),
            ..Judgement::of(Kind::Invalid)
        }
    }

    /// Built and signed, not sent.
    pub fn dry_run(explanation: &str) -> Self {
        Judgement {
            explanation: Some(explanation.into()),
            ..Judgement::of(Kind::DryRun)
        }
    }

    /// What a batch journal recorded of a row (`judge::recorded` says
    /// which explanation).
    pub fn recorded(
        outcome: Kind,
        code: Option<String>,
        message: Option<String>,
        explanation: Option<String>,
        time: Option<String>,
        confirmed_by_retry: bool,
    ) -> Self {
        Judgement {
            code,
            message,
            explanation,
            wechatpay_return_time: time,
            confirmed_by_retry,
            retryable: outcome == Kind::Unknown,
            ..Judgement::of(outcome)
        }
    }

    /// The same, with these lines for people.
    pub fn with_notes(self, notes: impl IntoIterator<Item = String>) -> Self {
        let mut all = self.notes;
        all.extend(notes);
        Judgement { notes: all, ..self }
    }

    /// The same, said to be worth re-running with the same request number.
    pub fn retryable(self) -> Self {
        Judgement {
            retryable: true,
            ..self
        }
    }
}

/// The coupon a report is about: what was (or would have been) sent, or the
/// raw flags when they were invalid.
#[derive(Debug, Clone, Default)]
pub struct Subject {
    pub coupon_code: Option<String>,
    pub stock_id: Option<String>,
    pub return_request_no: Option<String>,
}

impl From<&ReturnRequest> for Subject {
    fn from(r: &ReturnRequest) -> Self {
        Subject {
            coupon_code: Some(r.coupon_code.clone()),
            stock_id: Some(r.stock_id.clone()),
            return_request_no: Some(r.return_request_no.clone()),
        }
    }
}

/// How the final answer arrived.
#[derive(Debug, Clone, Default)]
pub struct Delivery {
    pub http_status: Option<u16>,
    pub request_id: Option<String>,
    pub attempts: u32,
    /// The origin (`scheme://host[:port]`) that gave the final answer.
    pub host: Option<String>,
}

/// What a report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// A coupon return.
    Return,
    /// A platform-certificate download.
    Download,
}

/// The outcome of one `return` (or a certificate download): everything
/// `render` prints.
#[derive(Debug, Clone)]
pub struct Report {
    pub action: Action,
    pub subject: Subject,
    pub judgement: Judgement,
    pub delivery: Delivery,
    /// For a retryable outcome: the command that repeats this very return.
    pub retry_command: Option<String>,
    /// wxcoupon made the request number up, and the return may need
    /// repeating: the number is worth keeping.
    pub generated_request_no: bool,
    pub dry_run: Option<DryRun>,
    /// Warnings about the set-up, on stderr in text and JSON mode alike.
    pub warnings: Vec<String>,
    /// The request number, or the outcome, came from the ledger (issue 17).
    pub from_ledger: bool,
}

impl Report {
    /// Invalid input: nothing was sent.
    pub fn invalid(subject: Subject, error: &anyhow::Error) -> Self {
        Report {
            action: Action::Return,
            subject,
            judgement: Judgement::invalid(error),
            delivery: Delivery::default(),
            retry_command: None,
            generated_request_no: false,
            dry_run: None,
            warnings: Vec::new(),
            from_ledger: false,
        }
    }

    /// A platform-certificate download that failed.
    pub fn download_failed(judgement: Judgement, delivery: Delivery) -> Self {
        Report {
            action: Action::Download,
            subject: Subject::default(),
            judgement,
            delivery,
            retry_command: None,
            generated_request_no: false,
            dry_run: None,
            warnings: Vec::new(),
            from_ledger: false,
        }
    }

    /// A row a batch journal settled: nothing sent in this run.
    pub fn recorded(subject: Subject, judgement: Judgement) -> Self {
        Report {
            action: Action::Return,
            subject,
            judgement,
            delivery: Delivery::default(),
            retry_command: None,
            generated_request_no: false,
            dry_run: None,
            warnings: Vec::new(),
            from_ledger: false,
        }
    }

    /// A return made with the number the ledger holds for its coupon: the
    /// same, saying so.
    pub fn with_number_from_ledger(self, note: String) -> Self {
        Report {
            judgement: self.judgement.with_notes([note]),
            from_ledger: true,
            ..self
        }
    }

    /// WeChat Pay says the coupon is usable, and the ledger has it returned
    /// (with `subject`'s number): returned, as the ledger has it. The code
    /// and message of this answer are kept as the evidence; its Request-ID
    /// too.
    pub fn returned_per_ledger(self, subject: Subject, time: String, note: String) -> Self {
        let j = self.judgement;
        Report {
            subject,
            judgement: Judgement {
                code: j.code,
                message: j.message,
                notes: vec![note],
                ..Judgement::returned(time)
            },
            retry_command: None,
            generated_request_no: false,
            from_ledger: true,
            ..self
        }
    }

    pub fn outcome(&self) -> Kind {
        self.judgement.outcome
    }

    pub fn exit_code(&self) -> u8 {
        self.judgement.outcome.exit_code()
    }
}
