//! For `scripts/bench.sh`: how fast ring, the crypto wxcoupon uses, signs
//! and verifies with RSA-2048 (SHA256withRSA) on this machine, one thread.
//! `cargo run --release --example rsa_speed`

use std::time::{Duration, Instant};

use ring::signature::{self, KeyPair, RsaKeyPair, UnparsedPublicKey};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/merchant_key.pem"
    );
    let der = pem::parse(std::fs::read(path)?)?;
    let key = RsaKeyPair::from_pkcs8(der.contents()).map_err(|e| format!("{e}"))?;
    let rng = ring::rand::SystemRandom::new();
    let message = b"POST\n/v3/marketing/busifavor/coupons/return\n1795910503\nnonce\n{}\n";
    let mut sig = vec![0; key.public().modulus_len()];
    let signs = rate(|| {
        key.sign(&signature::RSA_PKCS1_SHA256, &rng, message, &mut sig)
            .expect("sign");
    });
    let public = UnparsedPublicKey::new(
        &signature::RSA_PKCS1_2048_8192_SHA256,
        key.public_key().as_ref().to_vec(),
    );
    let verifies = rate(|| public.verify(message, &sig).expect("verify"));
    println!("{signs:.0} {verifies:.0}");
    Ok(())
}

/// Operations per second over about two seconds.
fn rate(mut op: impl FnMut()) -> f64 {
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < Duration::from_secs(2) {
        op();
        n += 1;
    }
    n as f64 / start.elapsed().as_secs_f64()
}
