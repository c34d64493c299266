//! `state: present | absent`, the choice most modules that keep one thing on a host offer.

use serde::Deserialize;

/// `state: present | absent`; `present` when not given.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum State {
    #[default]
    Present,
    Absent,
}

impl State {
    /// The name as written in a task and as Ansible reports it.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Present => "present",
            State::Absent => "absent",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_two_lowercase_names_are_accepted() {
        let state: State = serde_yaml_ng::from_str("absent").expect("absent");
        assert_eq!(state.as_str(), "absent");
        assert_eq!(State::default(), State::Present);
        assert!(serde_yaml_ng::from_str::<State>("Absent").is_err());
        assert!(serde_yaml_ng::from_str::<State>("latest").is_err());
    }
}
