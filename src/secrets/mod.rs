//! Encrypted secrets: the file format, key loading, and the values' masking.

mod secret_string;

pub use secret_string::SecretString;
