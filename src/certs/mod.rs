//! WeChat Pay platform certificates (平台证书): decrypting them, reading
//! them, keeping them in a folder, and downloading them.

pub mod aead;
pub mod cert;
pub mod download;
pub mod entry;
pub mod store;

pub use aead::ApiV3Key;
