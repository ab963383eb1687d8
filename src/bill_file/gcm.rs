//! AES-256-GCM over a stream, with a nonce of any length: how a sub-merchant fund flow bill's part
//! is encrypted (PROTOCOL.md section 9; the page's example nonce has 16 characters).
//!
//! GCM is CTR mode with a 32-bit big-endian counter (`Ctr32BE`) plus GHASH over the ciphertext
//! (NIST SP 800-38D): the same two primitives the `aes-gcm` crate is made of, driven chunk by
//! chunk so that a part of any size needs no more memory than one chunk. No associated data (an
//! assumption: the page names none). The 16-byte tag follows the ciphertext, as in the
//! notifications' AEAD_AES_256_GCM.
//!
//! Plaintext comes out before the tag is checked (it cannot be otherwise for a stream): a caller
//! must treat it as unconfirmed until [`Decryptor::finish`] says the tag matches.

use aes::Aes256;
use aes::cipher::{BlockCipherEncrypt, KeyInit, KeyIvInit, StreamCipher};
use ghash::GHash;
use ghash::universal_hash::UniversalHash;

/// The tag's length: the last 16 bytes of an encrypted part.
pub(crate) const TAG_LEN: usize = 16;

type Ctr = ctr::Ctr32BE<Aes256>;
type Block = [u8; 16];

/// The keystream and the running GHASH of one part.
struct Gcm {
    ctr: Ctr,
    ghash: GHash,
    /// Ciphertext bytes not yet a whole GHASH block.
    partial: Vec<u8>,
    /// `AES_K(J0)`, which masks the tag.
    tag_mask: Block,
    /// Ciphertext bytes so far.
    length: u64,
}

impl Gcm {
    fn new(key: &[u8; 32], nonce: &[u8]) -> Self {
        let aes = Aes256::new(&(*key).into());
        let mut h = Block::default();
        aes.encrypt_block((&mut h).into());
        let ghash_key = h;
        // J0: the nonce and a counter of 1 when it has 12 bytes, else GHASH of the nonce, zero
        // padded, then its length in bits.
        let j0: Block = if nonce.len() == 12 {
            let mut j0 = Block::default();
            j0[..12].copy_from_slice(nonce);
            j0[15] = 1;
            j0
        } else {
            let mut ghash = GHash::new(&ghash_key.into());
            ghash.update_padded(nonce);
            let mut lengths = Block::default();
            let bits = (nonce.len() as u64).wrapping_mul(8);
            lengths[8..].copy_from_slice(&bits.to_be_bytes());
            ghash.update(&[lengths.into()]);
            ghash.finalize().into()
        };
        let mut tag_mask = j0;
        aes.encrypt_block((&mut tag_mask).into());
        // The payload's counter starts at inc32(J0).
        let mut first = j0;
        let counter = u32::from_be_bytes([j0[12], j0[13], j0[14], j0[15]]).wrapping_add(1);
        first[12..].copy_from_slice(&counter.to_be_bytes());
        Self {
            ctr: Ctr::new(&(*key).into(), &first.into()),
            ghash: GHash::new(&ghash_key.into()),
            partial: Vec::with_capacity(16),
            tag_mask,
            length: 0,
        }
    }

    /// Adds ciphertext to the GHASH.
    fn absorb(&mut self, mut ciphertext: &[u8]) {
        self.length = self.length.wrapping_add(ciphertext.len() as u64);
        if !self.partial.is_empty() {
            let take = (16 - self.partial.len()).min(ciphertext.len());
            let (head, rest) = ciphertext.split_at(take);
            self.partial.extend_from_slice(head);
            ciphertext = rest;
            if self.partial.len() == 16 {
                self.ghash.update_padded(&self.partial);
                self.partial.clear();
            }
        }
        let whole = ciphertext.len() - ciphertext.len() % 16;
        let (blocks, rest) = ciphertext.split_at(whole);
        if !blocks.is_empty() {
            // Whole blocks: no padding is added.
            self.ghash.update_padded(blocks);
        }
        self.partial.extend_from_slice(rest);
    }

    fn tag(mut self) -> Block {
        self.ghash.update_padded(&self.partial);
        let mut lengths = Block::default();
        // No associated data: its length is 0; then the ciphertext's, in bits.
        lengths[8..].copy_from_slice(&self.length.wrapping_mul(8).to_be_bytes());
        self.ghash.update(&[lengths.into()]);
        let mut tag: Block = self.ghash.finalize().into();
        for (t, m) in tag.iter_mut().zip(self.tag_mask) {
            *t ^= m;
        }
        tag
    }
}

/// Decrypts one part as its bytes arrive: ciphertext then a 16-byte tag.
pub(crate) struct Decryptor {
    gcm: Gcm,
    /// The last bytes seen, which may be the tag: never more than [`TAG_LEN`].
    held: Vec<u8>,
}

impl Decryptor {
    /// A decryptor for a part encrypted under `key` with `nonce` (its bytes as given).
    pub(crate) fn new(key: &[u8; 32], nonce: &[u8]) -> Self {
        Self {
            gcm: Gcm::new(key, nonce),
            held: Vec::with_capacity(2 * TAG_LEN),
        }
    }

    /// Decrypts the next bytes of the part into `out` (cleared first). The last [`TAG_LEN`] bytes
    /// seen are held back, as they may be the tag.
    pub(crate) fn update(&mut self, input: &[u8], out: &mut Vec<u8>) {
        out.clear();
        if input.len() >= TAG_LEN {
            // Everything held, and all of the input but its last 16 bytes, is ciphertext.
            let (body, tail) = input.split_at(input.len() - TAG_LEN);
            out.extend_from_slice(&self.held);
            out.extend_from_slice(body);
            self.held.clear();
            self.held.extend_from_slice(tail);
        } else {
            self.held.extend_from_slice(input);
            let spare = self.held.len().saturating_sub(TAG_LEN);
            out.extend(self.held.drain(..spare));
        }
        self.gcm.absorb(out);
        self.gcm.ctr.apply_keystream(out);
    }

    /// Whether the part's last 16 bytes are the tag of what came before. `false` for a part
    /// shorter than a tag.
    pub(crate) fn finish(self) -> bool {
        if self.held.len() != TAG_LEN {
            return false;
        }
        let expected = self.gcm.tag();
        // Constant time, as any comparison of a MAC should be.
        aws_lc_rs::constant_time::verify_slices_are_equal(&expected, &self.held).is_ok()
    }
}

/// Encrypts one part as its bytes come: ciphertext, then the tag from [`Encryptor::finish`].
/// The simulator's side of a sub-merchant bill.
#[cfg(any(test, feature = "simulator"))]
pub(crate) struct Encryptor {
    gcm: Gcm,
}

#[cfg(any(test, feature = "simulator"))]
impl Encryptor {
    /// An encryptor under `key` with `nonce`.
    pub(crate) fn new(key: &[u8; 32], nonce: &[u8]) -> Self {
        Self {
            gcm: Gcm::new(key, nonce),
        }
    }

    /// Encrypts `data` in place.
    pub(crate) fn update(&mut self, data: &mut [u8]) {
        self.gcm.ctr.apply_keystream(data);
        self.gcm.absorb(data);
    }

    /// The tag, to append after the ciphertext.
    pub(crate) fn finish(self) -> [u8; TAG_LEN] {
        self.gcm.tag()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn encrypt(key: &[u8; 32], nonce: &[u8], plain: &[u8], chunk: usize) -> Vec<u8> {
        let mut encryptor = Encryptor::new(key, nonce);
        let mut out = Vec::new();
        for piece in plain.chunks(chunk.max(1)) {
            let mut piece = piece.to_vec();
            encryptor.update(&mut piece);
            out.extend_from_slice(&piece);
        }
        out.extend_from_slice(&encryptor.finish());
        out
    }

    fn decrypt(key: &[u8; 32], nonce: &[u8], sealed: &[u8], chunk: usize) -> (Vec<u8>, bool) {
        let mut decryptor = Decryptor::new(key, nonce);
        let mut plain = Vec::new();
        let mut out = Vec::new();
        for piece in sealed.chunks(chunk.max(1)) {
            decryptor.update(piece, &mut out);
            plain.extend_from_slice(&out);
        }
        (plain, decryptor.finish())
    }

    #[test]
    fn a_twelve_byte_nonce_matches_aws_lc_one_shot_aes_gcm() {
        use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
        let key = [7u8; 32];
        let nonce = *b"0123456789ab";
        let plain: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
        let sealing = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &key).unwrap());
        let mut expected = plain.clone();
        sealing
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::empty(),
                &mut expected,
            )
            .unwrap();
        for chunk in [1, 7, 16, 17, 333, 4096] {
            assert_eq!(
                encrypt(&key, &nonce, &plain, chunk),
                expected,
                "chunk {chunk}"
            );
            let (back, ok) = decrypt(&key, &nonce, &expected, chunk);
            assert!(ok, "chunk {chunk}");
            assert_eq!(back, plain);
        }
    }

    /// Python `cryptography`'s AESGCM, the independent reference: it takes a 16-byte nonce, and
    /// answers hex(ciphertext ‖ tag).
    fn python_seal(key: &[u8; 32], nonce: &[u8], plain: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let script = "import sys\n\
                      from cryptography.hazmat.primitives.ciphers.aead import AESGCM\n\
                      key, nonce = bytes.fromhex(sys.argv[1]), bytes.fromhex(sys.argv[2])\n\
                      data = sys.stdin.buffer.read()\n\
                      print(AESGCM(key).encrypt(nonce, data, None).hex())";
        let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
        let mut child = std::process::Command::new("python3")
            .args(["-c", script, &hex(key), &hex(nonce)])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("python3 with the cryptography package is the reference for AES-256-GCM");
        child.stdin.take().unwrap().write_all(plain).unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "python3 with cryptography failed");
        let text = String::from_utf8(output.stdout).unwrap();
        let text = text.trim();
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn a_sixteen_byte_nonce_matches_python_cryptography_both_ways() {
        let key: [u8; 32] = std::array::from_fn(|i| (i * 7 + 3) as u8);
        // The page's example nonce: 16 characters, used as its bytes.
        let nonce = b"a8607ef79034c49c";
        let plain: Vec<u8> = "`2019-06-11 13:54:01,`5030080696202102,`退款\n"
            .repeat(300)
            .into_bytes();
        let expected = python_seal(&key, nonce, &plain);
        for chunk in [1, 15, 16, 4096, plain.len()] {
            assert_eq!(
                encrypt(&key, nonce, &plain, chunk),
                expected,
                "chunk {chunk}"
            );
            let (back, ok) = decrypt(&key, nonce, &expected, chunk);
            assert!(ok, "chunk {chunk}");
            assert_eq!(back, plain);
        }
        // And an empty part, an 8-byte nonce (the shortest Python takes), a 12-byte one.
        for nonce in [&b"abcdefgh"[..], &b"0123456789ab"[..]] {
            assert_eq!(encrypt(&key, nonce, b"", 1), python_seal(&key, nonce, b""));
            assert_eq!(
                encrypt(&key, nonce, b"bill", 3),
                python_seal(&key, nonce, b"bill")
            );
        }
    }

    #[test]
    fn a_changed_byte_a_cut_or_another_key_fails_the_tag() {
        let key = [1u8; 32];
        let nonce = b"a8607ef79034c49c";
        let sealed = encrypt(&key, nonce, b"`2019-06-11 13:54:01,`1", 5);
        for at in [0, 10, sealed.len() - 1] {
            let mut bad = sealed.clone();
            bad[at] ^= 1;
            assert!(!decrypt(&key, nonce, &bad, 3).1, "byte {at}");
        }
        assert!(!decrypt(&key, nonce, &sealed[..sealed.len() - 1], 3).1);
        assert!(!decrypt(&key, nonce, &sealed[..10], 3).1);
        assert!(!decrypt(&[2u8; 32], nonce, &sealed, 3).1);
        assert!(!decrypt(&key, b"a8607ef79034c49d", &sealed, 3).1);
        assert!(decrypt(&key, nonce, &sealed, 3).1);
    }

    #[test]
    fn an_empty_part_is_its_tag_alone() {
        let key = [9u8; 32];
        let sealed = encrypt(&key, b"0123456789abcdef", b"", 1);
        assert_eq!(sealed.len(), TAG_LEN);
        let (plain, ok) = decrypt(&key, b"0123456789abcdef", &sealed, 1);
        assert!(ok && plain.is_empty());
    }
}
