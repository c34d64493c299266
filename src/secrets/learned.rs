//! Secrets learned during a run (the `password` lookup's passwords): added as they appear,
//! masked in all output from then on, like the repository's encrypted values.

use std::sync::{Arc, Mutex};

use super::{Masker, SecretString};

/// A shared, growing set of secrets and the masker that hides them. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct LearnedSecrets {
    inner: Arc<Mutex<Learned>>,
}

#[derive(Debug, Default)]
struct Learned {
    values: Vec<SecretString>,
    masker: Masker,
}

impl LearnedSecrets {
    /// Adds a secret; output masked after this hides it.
    pub fn add(&self, secret: &str) {
        if let Ok(mut learned) = self.inner.lock() {
            if learned.values.iter().any(|v| v.expose() == secret) {
                return;
            }
            learned.values.push(SecretString::new(secret.to_string()));
            let masker = Masker::new(learned.values.iter().map(SecretString::expose));
            learned.masker = masker;
        }
    }

    /// The masker for every secret learned so far.
    pub fn masker(&self) -> Masker {
        self.inner.lock().map(|l| l.masker.clone()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::LearnedSecrets;

    #[test]
    fn learned_secrets_are_masked() {
        let learned = LearnedSecrets::default();
        assert_eq!(learned.masker().mask("pw=abcdefgh"), "pw=abcdefgh");
        learned.clone().add("abcdefgh");
        assert_eq!(learned.masker().mask("pw=abcdefgh"), "pw=********");
    }
}
