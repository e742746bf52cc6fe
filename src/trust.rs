//! Who may sign WeChat Pay's answers for a profile, and which serial a
//! request names: the WeChat Pay public key (by its id), platform
//! certificates (by serial, valid at the answer's time), or both while a
//! merchant switches. Pure once loaded.

use std::path::PathBuf;

use anyhow::Result;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::certs::cert::same_serial;
use crate::certs::store::{self, Stored};
use crate::keys::PublicKey;
use crate::profile::Profile;
use crate::verify::{Failure, is_certificate_serial};

#[derive(Debug, Clone, Default)]
pub struct Trust {
    /// The WeChat Pay public key and its id.
    pub public_key: Option<(String, PublicKey)>,
    /// The certificates folder, when the profile uses certificates.
    pub certificates_dir: Option<PathBuf>,
    /// The certificates in it, oldest first.
    pub certificates: Vec<Stored>,
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

impl Trust {
    /// The profile's public key and certificate folder, read and checked.
    pub fn load(profile: &Profile) -> Result<Trust> {
        let certificates = match &profile.platform_certificates_dir {
            Some(dir) => store::load(dir)?,
            None => Vec::new(),
        };
        Ok(Trust {
            public_key: profile.load_public_key()?,
            certificates_dir: profile.platform_certificates_dir.clone(),
            certificates,
        })
    }

    /// The key for an answer whose `Wechatpay-Serial` is `serial`, signed at
    /// `at` (Unix time).
    pub fn key_for(&self, serial: &str, at: i64) -> Result<&PublicKey, Failure> {
        if let Some((id, key)) = &self.public_key
            && serial == id
        {
            return Ok(key);
        }
        if !is_certificate_serial(serial) {
            return Err(match &self.public_key {
                Some((id, _)) => Failure::SerialMismatch {
                    got: serial.into(),
                    expected: id.clone(),
                },
                None => Failure::PublicKeyNotConfigured { id: serial.into() },
            });
        }
        if self.certificates_dir.is_none() {
            return Err(Failure::PlatformCertificate {
                serial: serial.into(),
            });
        }
        match self.certificate(serial) {
            None => Err(Failure::UnknownCertificate {
                serial: serial.into(),
            }),
            Some(c) if !c.cert.valid_at(at) => Err(Failure::CertificateNotValid {
                serial: c.cert.serial.clone(),
                from: rfc3339(c.cert.not_before),
                to: rfc3339(c.cert.not_after),
            }),
            Some(c) => Ok(&c.cert.public_key),
        }
    }

    pub fn certificate(&self, serial: &str) -> Option<&Stored> {
        self.certificates
            .iter()
            .find(|c| same_serial(&c.cert.serial, serial))
    }

    /// Whether an answer signed by `serial` needs certificates this profile
    /// does not have yet (a download may find them).
    pub fn lacks(&self, serial: &str) -> bool {
        self.certificates_dir.is_some()
            && is_certificate_serial(serial)
            && self.certificate(serial).is_none()
            && self.public_key.as_ref().is_none_or(|(id, _)| id != serial)
    }

    /// The `Wechatpay-Serial` a request names: the public key id when there
    /// is one, else the certificate in use now (`store::in_use`); none when none is.
    pub fn request_serial(&self, now: i64) -> Option<String> {
        match &self.public_key {
            Some((id, _)) => Some(id.clone()),
            None => store::in_use(&self.certificates, now).map(|c| c.cert.serial.clone()),
        }
    }

    /// Certificates just downloaded (and saved) join the ones known.
    pub fn add(&mut self, saved: Vec<Stored>) {
        for s in saved {
            self.certificates
                .retain(|c| !same_serial(&c.cert.serial, &s.cert.serial));
            self.certificates.push(s);
        }
        store::sort(&mut self.certificates);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certs::cert::PlatformCert;

    const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/vectors");
    const JAVA_SERIAL: &str = "5DEA10EF55877E3CF6C33255C2E7DEFFF7E427EC";
    const ID: &str = "PUB_KEY_ID_0119000001092024112700000000000001";

    fn java() -> Stored {
        let text = std::fs::read_to_string(format!("{VECTORS}/java_downloaded_cert.pem")).unwrap();
        Stored {
            cert: PlatformCert::from_pem(&text).unwrap(),
            file: PathBuf::from("x.pem"),
        }
    }

    fn public() -> (String, PublicKey) {
        let text = std::fs::read(format!("{VECTORS}/../wechatpay_pub.pem")).unwrap();
        (ID.into(), PublicKey::from_pem(&text).unwrap())
    }

    #[test]
    fn the_public_key_mode_names_a_certificate_as_not_switched() {
        let t = Trust {
            public_key: Some(public()),
            ..Trust::default()
        };
        assert!(t.key_for(ID, 0).is_ok());
        assert_eq!(
            t.key_for(JAVA_SERIAL, 0).unwrap_err(),
            Failure::PlatformCertificate {
                serial: JAVA_SERIAL.into()
            }
        );
        assert!(matches!(
            t.key_for("PUB_KEY_ID_1", 0),
            Err(Failure::SerialMismatch { .. })
        ));
        assert_eq!(t.request_serial(0).as_deref(), Some(ID));
    }

    #[test]
    fn certificates_are_chosen_by_serial_and_validity() {
        let t = Trust {
            certificates_dir: Some(PathBuf::from("certs")),
            certificates: vec![java()],
            ..Trust::default()
        };
        assert!(
            t.key_for(&JAVA_SERIAL.to_lowercase(), 1_800_000_000)
                .is_ok()
        );
        assert!(matches!(
            t.key_for(JAVA_SERIAL, 1_900_000_000),
            Err(Failure::CertificateNotValid { .. })
        ));
        assert_eq!(
            t.key_for("ABCDEF", 1_800_000_000).unwrap_err(),
            Failure::UnknownCertificate {
                serial: "ABCDEF".into()
            }
        );
        assert_eq!(
            t.key_for(ID, 1_800_000_000).unwrap_err(),
            Failure::PublicKeyNotConfigured { id: ID.into() }
        );
        assert!(t.lacks("ABCDEF") && !t.lacks(JAVA_SERIAL) && !t.lacks(ID));
        assert_eq!(
            t.request_serial(1_800_000_000).as_deref(),
            Some(JAVA_SERIAL)
        );
        assert_eq!(t.request_serial(1_900_000_000), None);
    }
}
