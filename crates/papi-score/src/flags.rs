//! Flags on estimates that stand on little (SCORING.md §3.6): an interval from fewer than 5 degrees of
//! freedom, or an estimate from fewer than 30 respondents. Their JSON names are stable.

use serde::de::{Deserialize, Deserializer, Error as _};
use serde::ser::{Serialize, SerializeSeq, Serializer};

/// Fewest degrees of freedom (PSUs − strata of the design) for an unflagged estimate.
pub const MIN_DF: i64 = 5;
/// Fewest respondents behind an unflagged estimate.
pub const MIN_RESPONDENTS: u64 = 30;

/// The flags of one estimate; serialised as a list of names, e.g. `["few_psus"]`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flags(u8);

impl Flags {
    /// Fewer than [`MIN_DF`] degrees of freedom: too few PSUs for a stable standard error.
    pub const FEW_PSUS: Flags = Flags(1);
    /// Fewer than [`MIN_RESPONDENTS`] respondents behind the estimate.
    pub const FEW_RESPONDENTS: Flags = Flags(2);

    const NAMES: [(Flags, &'static str); 2] = [
        (Flags::FEW_PSUS, "few_psus"),
        (Flags::FEW_RESPONDENTS, "few_respondents"),
    ];

    /// The flags of an estimate from `respondents` respondents in a design with `df` degrees of freedom.
    pub fn of(df: i64, respondents: u64) -> Flags {
        let mut f = Flags::default();
        if df < MIN_DF {
            f = f | Flags::FEW_PSUS;
        }
        if respondents < MIN_RESPONDENTS {
            f = f | Flags::FEW_RESPONDENTS;
        }
        f
    }

    pub fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The stable names of the flags set, in a fixed order.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        Flags::NAMES
            .into_iter()
            .filter(move |(f, _)| self.contains(*f))
            .map(|(_, name)| name)
    }
}

impl std::ops::BitOr for Flags {
    type Output = Flags;
    fn bitor(self, other: Flags) -> Flags {
        Flags(self.0 | other.0)
    }
}

impl Serialize for Flags {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(None)?;
        for name in self.names() {
            seq.serialize_element(name)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for Flags {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Flags, D::Error> {
        let mut flags = Flags::default();
        for name in Vec::<String>::deserialize(d)? {
            let (flag, _) = Flags::NAMES
                .into_iter()
                .find(|(_, known)| *known == name)
                .ok_or_else(|| D::Error::custom(format!("unknown estimate flag `{name}`")))?;
            flags = flags | flag;
        }
        Ok(flags)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_follow_the_thresholds_and_serialise_by_name() {
        assert!(Flags::of(5, 30).is_empty());
        assert_eq!(
            serde_json::to_string(&Flags::of(4, 30)).unwrap(),
            r#"["few_psus"]"#
        );
        assert_eq!(
            serde_json::to_string(&Flags::of(12, 29)).unwrap(),
            r#"["few_respondents"]"#
        );
        assert_eq!(
            serde_json::to_string(&Flags::of(0, 3)).unwrap(),
            r#"["few_psus","few_respondents"]"#
        );
    }

    #[test]
    fn flags_read_back_by_name_and_refuse_unknown_names() {
        for flags in [
            Flags::of(5, 30),
            Flags::of(4, 30),
            Flags::of(12, 29),
            Flags::of(0, 3),
        ] {
            let json = serde_json::to_string(&flags).unwrap();
            assert_eq!(serde_json::from_str::<Flags>(&json).unwrap(), flags);
        }
        let err = serde_json::from_str::<Flags>(r#"["few_psus","tiny"]"#).unwrap_err();
        assert!(
            err.to_string().contains("unknown estimate flag `tiny`"),
            "{err}"
        );
    }
}
