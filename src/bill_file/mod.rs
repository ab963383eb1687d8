//! Bills (账单): the file a bill application points to, downloaded, checked, unpacked, decrypted
//! and parsed into typed rows, with memory that does not grow with the bill (PROTOCOL.md section 9).

// The download that decrypts with it is the next step (see the CHANGELOG's "In progress").
#[cfg_attr(
    not(test),
    expect(
        dead_code,
        reason = "its caller, the bill download, is not written yet"
    )
)]
pub(crate) mod gcm;
