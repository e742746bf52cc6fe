//! Downloading platform certificates: `GET /v3/certificates` signed like
//! every request, the answer checked whole (`certs::download`) before any
//! certificate is written, then saved atomically and trusted.

use super::attempt::{CERTIFICATES, Live};
use super::session::{Session, delivery_of, now_unix};
use crate::certs::cert::normal;
use crate::certs::download::{self, Delivered, Refused};
use crate::certs::store::{self, Change, Stored};
use crate::client::Answer;
use crate::judge;
use crate::report::{Delivery, Judgement};
use crate::retry;
use crate::verify::Failure;

/// A certificate saved by a download.
#[derive(Debug, Clone)]
pub struct Saved {
    pub stored: Stored,
    /// New in the folder, unchanged, or replacing what the file held.
    pub change: Change,
}

/// How a download ended.
pub enum Download {
    /// Saved; `skipped` says the entries passed over (not RSA).
    Saved {
        saved: Vec<Saved>,
        skipped: Vec<String>,
    },
    /// Nothing was written; said as a return's failures are.
    Failed(Judgement, Delivery),
}

impl Session {
    /// Downloads, checks, saves and trusts the platform certificates.
    pub fn download_certificates(&self, trace: &mut dyn FnMut(&str)) -> Download {
        let mut live = Live::new(self, CERTIFICATES, b"", trace);
        download(&mut live)
    }
}

fn download(live: &mut Live<'_>) -> Download {
    let s = live.s;
    let Some(key) = &s.apiv3_key else {
        return Download::Failed(judge::no_apiv3_key(), Delivery::default());
    };
    let Some(dir) = s.profile.platform_certificates_dir.clone() else {
        return Download::Failed(judge::no_certificates_dir(), Delivery::default());
    };
    let public = s.trust().public_key.clone();
    let public = public.as_ref().map(|(id, k)| (id.as_str(), k));
    // A signature probe (WECHATPAY/SIGNTEST/) is invalid by design; the GET
    // is safe to repeat: one more attempt, as for a return.
    let mut probed = false;
    let (delivered, delivery) = loop {
        let fin = retry::run(
            if probed { 0 } else { s.retries },
            &s.profile.base_url,
            s.profile.backup_base_url.as_ref(),
            false,
            live,
        );
        let delivery = delivery_of(&fin);
        let answer = match &fin.result {
            Err(e) => return Download::Failed(judge::network(e), delivery),
            Ok(a) if a.status != 200 => {
                return Download::Failed(judge::download_error(a), delivery);
            }
            Ok(a) => a,
        };
        match download::certificates(answer, key, public, now_unix()) {
            Ok(d) => break (d, delivery),
            Err(Refused::Signature(Failure::Probe)) if !probed => {
                live.note(
                    "the download's signature is a WeChat Pay probe (WECHATPAY/SIGNTEST/…); one \
                     more attempt",
                );
                probed = true;
            }
            Err(refused) => return Download::Failed(judge::download_refused(&refused), delivery),
        }
    };
    let Delivered { certs, skipped } = delivered;
    let saved: Vec<Saved> = match store::save_all(&dir, &certs) {
        Ok(files) => certs
            .into_iter()
            .zip(files)
            .map(|(cert, (file, change))| Saved {
                stored: Stored { cert, file },
                change,
            })
            .collect(),
        Err(e) => return Download::Failed(judge::not_saved(&e), delivery),
    };
    if let Ok(mut trust) = s.trust.write() {
        trust.add(saved.iter().map(|x| x.stored.clone()).collect());
    }
    Download::Saved { saved, skipped }
}

/// Before an answer is judged: when it is signed by a platform certificate
/// this profile lacks and an APIv3 key can fetch it, download the
/// certificates — once per serial in a run, whatever the number of rows or
/// attempts that meet it: a worker that meets a serial being downloaded
/// waits for that download, and a failed one is not tried again. The lines
/// say what happened.
pub fn fetch_for(live: &mut Live<'_>, answer: &Answer) -> Vec<String> {
    let s = live.s;
    let Some(serial) = answer.header("Wechatpay-Serial") else {
        return Vec::new();
    };
    if s.apiv3_key.is_none() || !s.trust().lacks(serial) {
        return Vec::new();
    }
    let serial = serial.to_string();
    let mut fetched = s
        .fetched
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(said) = fetched.get(&normal(&serial)) {
        return said.clone();
    }
    // Another worker's download may have brought it meanwhile.
    if !s.trust().lacks(&serial) {
        return Vec::new();
    }
    live.note(&format!(
        "the answer is signed by platform certificate {serial}, not in platform_certificates_dir: \
         downloading the platform certificates"
    ));
    // A request of its own: GET /v3/certificates, not the return again.
    let mut fetch = Live::new(s, CERTIFICATES, b"", &mut *live.trace);
    let said = match download(&mut fetch) {
        Download::Saved { saved, skipped } => std::iter::once(format!(
            "downloaded the platform certificates ({}) into platform_certificates_dir to verify this \
             answer, signed by {serial}",
            saved
                .iter()
                .map(|x| x.stored.cert.serial.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .chain(skipped)
        .collect(),
        Download::Failed(j, _) => vec![format!(
            "could not download the platform certificates to verify this answer: {}",
            j.message.unwrap_or_default()
        )],
    };
    fetched.insert(normal(&serial), said.clone());
    said
}
