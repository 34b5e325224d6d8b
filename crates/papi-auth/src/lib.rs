//! Who may do what in papi: the five roles and the permission table (`permissions.rs`), password
//! hashing (Argon2id) and bearer tokens.
//!
//! No IO, no HTTP, no SQL: the store keeps the hashes, the server checks requests against them.

use std::fmt;
use std::str::FromStr;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

mod permissions;
pub use permissions::{Action, Grant, Scope};

/// The roles of the brief: each sees what its job needs and no more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Runs the service: users, tokens, everything.
    Admin,
    /// Watches fieldwork: all interviews, their review.
    Supervisor,
    /// Recomputes and publishes scores: all interviews.
    Analyst,
    /// Sees aggregates only, never a respondent's answers.
    Leader,
    /// Submits interviews and sees only their own.
    Enumerator,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Supervisor,
        Role::Analyst,
        Role::Leader,
        Role::Enumerator,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Supervisor => "supervisor",
            Role::Analyst => "analyst",
            Role::Leader => "leader",
            Role::Enumerator => "enumerator",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("'{0}' is not a role: use admin, supervisor, analyst, leader or enumerator")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Role, UnknownRole> {
        Role::ALL
            .into_iter()
            .find(|r| r.name() == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("a password needs at least {MIN_PASSWORD} characters")]
    WeakPassword,
    #[error(
        "a username has 1 to {MAX_USERNAME_CHARS} characters, none of them a control character"
    )]
    BadUsername,
    #[error("password hashing failed: {0}")]
    Hash(String),
}

/// Shortest password accepted.
pub const MIN_PASSWORD: usize = 10;

/// Longest username: a sign-in with a longer one is refused before anything is stored.
pub const MAX_USERNAME_CHARS: usize = 64;

/// Whether `username` (already trimmed and NFC-normalised) could be a papi user's name.
pub fn check_username(username: &str) -> Result<(), AuthError> {
    let chars = username.chars().count();
    if chars == 0 || chars > MAX_USERNAME_CHARS || username.chars().any(char::is_control) {
        return Err(AuthError::BadUsername);
    }
    Ok(())
}

/// A real Argon2id hash of a random password, made once with the parameters of every user's hash:
/// a sign-in for a name that is no user's is verified against it, so it costs what a real one costs.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        let (random, _) = new_token();
        hash_password(&random).expect("hashing a random password")
    })
}

/// How failed sign-ins slow the next attempt for one key (a username, or a client's address): the
/// first `free` failures in a row cost nothing, each one after doubles the wait before the next
/// attempt, from one second up to `2^max_doublings` seconds; a key forgets its failures
/// `forget_after_secs` after the last one. The wait is short for a username, so that nobody can
/// lock a real user out for long, and longer for an address, which is what an attacker spends.
/// (The store applies it, in the one statement that counts an attempt.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttle {
    pub free: i64,
    pub max_doublings: i64,
    pub forget_after_secs: i64,
}

impl Throttle {
    /// Per username: five attempts in a row, then a wait of 1 s, 2 s, ... up to 64 s.
    pub const USERNAME: Throttle = Throttle {
        free: 4,
        max_doublings: 6,
        forget_after_secs: 15 * 60,
    };
    /// Per client address (shared by everyone behind one NAT): twenty-one, then up to 256 s.
    pub const ADDRESS: Throttle = Throttle {
        free: 20,
        max_doublings: 8,
        forget_after_secs: 15 * 60,
    };
}

/// Hashes a password with Argon2id and a random salt (PHC string).
pub fn hash_password(password: &str) -> Result<String, AuthError> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(AuthError::WeakPassword);
    }
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| AuthError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Hash(e.to_string()))
}

/// Whether `password` matches a stored hash (false for a malformed hash).
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// The prefix of every token, so that a leaked one is recognisable.
pub const TOKEN_PREFIX: &str = "papi_";

/// A new bearer token: (the token, shown once; the hash to store).
pub fn new_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = format!("{TOKEN_PREFIX}{}", hex::encode(bytes));
    let hash = token_hash(&token);
    (token, hash)
}

/// The stored form of a token: tokens are long and random, so a plain SHA-256 suffices.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_hash() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("correct horse batterY", &h));
        assert!(!verify_password("x", "not a hash"));
        assert!(matches!(
            hash_password("short"),
            Err(AuthError::WeakPassword)
        ));
    }

    #[test]
    fn unknown_users_are_checked_against_a_real_hash() {
        let decoy = decoy_hash();
        assert!(PasswordHash::new(decoy).is_ok(), "{decoy}");
        assert!(decoy.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(!verify_password("any password at all", decoy));
    }

    #[test]
    fn usernames_are_short_and_printable() {
        assert!(check_username("demo-admin").is_ok());
        assert!(check_username(&"a".repeat(MAX_USERNAME_CHARS)).is_ok());
        assert!(check_username(&"a".repeat(MAX_USERNAME_CHARS + 1)).is_err());
        assert!(check_username("").is_err());
        assert!(check_username("a\0b").is_err());
        assert!(check_username("a\tb").is_err());
    }

    #[test]
    fn tokens_are_random_and_stored_hashed() {
        let (a, ha) = new_token();
        let (b, _) = new_token();
        assert_ne!(a, b);
        assert!(a.starts_with(TOKEN_PREFIX) && a.len() == TOKEN_PREFIX.len() + 64);
        assert_eq!(token_hash(&a), ha);
        assert_ne!(ha, a);
    }

    #[test]
    fn roles_parse() {
        assert_eq!("leader".parse::<Role>().unwrap(), Role::Leader);
        assert!("boss".parse::<Role>().is_err());
    }
}
