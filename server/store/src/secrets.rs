//! Sealing secrets kept in the database (a protected site's credentials): ChaCha20-Poly1305
//! with a 256-bit key stored in `<data-dir>/secret.key` (mode 0600), outside the database, so
//! a database backup alone does not reveal them. Each sealed value is bound to what it
//! belongs to (associated data such as `environment:12`): moved elsewhere, it does not open.

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};

pub struct Sealer {
    key: LessSafeKey,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(key hidden)")
    }
}

impl Sealer {
    fn from_bytes(bytes: &[u8]) -> Result<Sealer, String> {
        let key = UnboundKey::new(&CHACHA20_POLY1305, bytes).map_err(|_| "the secret key must be 32 bytes".to_string())?;
        Ok(Sealer { key: LessSafeKey::new(key) })
    }

    /// A key that lives only as long as the process (tests; a server without a data folder).
    pub fn ephemeral() -> Sealer {
        let mut k = [0u8; 32];
        SystemRandom::new().fill(&mut k).expect("the system's random source works");
        Sealer::from_bytes(&k).expect("32 bytes")
    }

    /// Loads the key file, creating it (32 random bytes, readable by the owner only) the
    /// first time.
    pub fn from_key_file(path: &std::path::Path) -> Result<Sealer, String> {
        match std::fs::read(path) {
            Ok(bytes) => Sealer::from_bytes(&bytes).map_err(|e| format!("{}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut k = [0u8; 32];
                SystemRandom::new().fill(&mut k).map_err(|_| "the system's random source failed".to_string())?;
                write_private(path, &k).map_err(|e| format!("cannot write the secret key {}: {e}", path.display()))?;
                Sealer::from_bytes(&k)
            }
            Err(e) => Err(format!("cannot read the secret key {}: {e}", path.display())),
        }
    }

    /// `nonce || ciphertext || tag`.
    pub fn seal(&self, plaintext: &[u8], bound_to: &str) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new().fill(&mut nonce).expect("the system's random source works");
        let mut data = plaintext.to_vec();
        self.key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(bound_to.as_bytes()), &mut data).expect("sealing cannot fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&data);
        out
    }

    /// `None` when the value was not sealed with this key for `bound_to` (or was changed).
    pub fn open(&self, sealed: &[u8], bound_to: &str) -> Option<Vec<u8>> {
        if sealed.len() < NONCE_LEN {
            return None;
        }
        let (nonce, rest) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut data = rest.to_vec();
        let plain = self.key.open_in_place(nonce, Aad::from(bound_to.as_bytes()), &mut data).ok()?;
        Some(plain.to_vec())
    }
}

fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)?.write_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key_and_binding() {
        let s = Sealer::ephemeral();
        let sealed = s.seal(b"preview:s3cret", "environment:1");
        assert!(!sealed.windows(6).any(|w| w == b"s3cret"), "no clear text in the sealed value");
        assert_eq!(s.open(&sealed, "environment:1").as_deref(), Some(&b"preview:s3cret"[..]));
        assert_eq!(s.open(&sealed, "environment:2"), None, "moved to another environment");
        assert_eq!(Sealer::ephemeral().open(&sealed, "environment:1"), None, "another key");
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert_eq!(s.open(&tampered, "environment:1"), None);
        assert_ne!(s.seal(b"x", "a"), s.seal(b"x", "a"), "a fresh nonce each time");
    }

    #[test]
    fn the_key_file_is_created_once_private_and_reused() {
        let dir = std::env::temp_dir().join(format!("preflight-key-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("secret.key");
        let _ = std::fs::remove_file(&path);
        let a = Sealer::from_key_file(&path).unwrap();
        let sealed = a.seal(b"v", "e");
        let b = Sealer::from_key_file(&path).unwrap();
        assert_eq!(b.open(&sealed, "e").as_deref(), Some(&b"v"[..]));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        std::fs::write(&path, b"short").unwrap();
        assert!(Sealer::from_key_file(&path).unwrap_err().contains("32 bytes"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
