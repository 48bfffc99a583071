use super::*;
use crate::testkit::passkey::SoftPasskey;

const ORIGIN: &str = "https://cchc.example.vn";
const SITE: &str = "cchc.example.vn";

#[test]
fn an_assertion_checks_for_its_request_with_either_algorithm() {
    for soft in [SoftPasskey::es256(SITE, "a"), SoftPasskey::ed25519(SITE, "a")] {
        let assertion = soft.assert(b"the request");
        check(&soft.key, b"the request", &assertion).expect("checks");
        let bytes = assertion.to_bytes();
        assert_eq!(Assertion::from_bytes(&bytes), Ok(assertion.clone()));
        assert_eq!(
            check(&soft.key, b"another request", &assertion),
            Err(PasskeyError::WrongChallenge)
        );
    }
}

#[test]
fn an_altered_assertion_or_another_key_does_not_check() {
    let soft = SoftPasskey::es256(SITE, "a");
    let good = soft.assert_on(b"r", ORIGIN, 0x01);
    let mut flipped = good.clone();
    flipped.authenticator_data[32] = 0x05; // the flags, claiming verification after signing
    assert_eq!(check(&soft.key, b"r", &flipped), Err(PasskeyError::Mismatch));
    let other = SoftPasskey::es256(SITE, "b");
    assert_eq!(check(&other.key, b"r", &good), Err(PasskeyError::Mismatch));
    let mut garbled = good;
    garbled.signature.truncate(10);
    assert_eq!(check(&soft.key, b"r", &garbled), Err(PasskeyError::Mismatch));
}

#[test]
fn the_site_the_origin_and_presence_are_checked() {
    let soft = SoftPasskey::es256(SITE, "a");
    let elsewhere = soft.assert_on(b"r", "https://evil.example", 0x01);
    assert!(matches!(check(&soft.key, b"r", &elsewhere), Err(PasskeyError::WrongOrigin { .. })));
    let plain = soft.assert_on(b"r", "http://cchc.example.vn", 0x01);
    assert!(matches!(check(&soft.key, b"r", &plain), Err(PasskeyError::WrongOrigin { .. })));
    let absent = soft.assert_on(b"r", ORIGIN, 0x00);
    assert_eq!(check(&soft.key, b"r", &absent), Err(PasskeyError::NotPresent));
    // A credential of another site, its key string relabelled as this site's.
    let other_site = SoftPasskey::es256("other.example.vn", "a");
    let mut moved = other_site.assert_on(b"r", ORIGIN, 0x01);
    moved.client_data_json = soft.assert_on(b"r", ORIGIN, 0x01).client_data_json;
    let mut key = PasskeyKey::parse(&other_site.key).expect("a key");
    key.rp_id = SITE.into();
    assert!(matches!(check(&key.encode(), b"r", &moved), Err(PasskeyError::WrongSite { .. })));
    let local = SoftPasskey::es256("localhost", "a");
    let assertion = local.assert_on(b"r", "http://localhost:8480", 0x01);
    check(&local.key, b"r", &assertion).expect("http on localhost is a secure page");
}

#[test]
fn bad_keys_and_bytes_are_named() {
    for bad in
        ["", "webauthn:", "webauthn:site:AQ", "webauthn:site:AQ:AQ", "Uabc", "webauthn::AQ:AQ"]
    {
        assert!(PasskeyKey::parse(bad).is_err(), "{bad:?}");
    }
    assert!(matches!(Assertion::from_bytes(b"\xff\xff"), Err(PasskeyError::Unreadable(_))));
    let soft = SoftPasskey::es256(SITE, "a");
    let mut assertion = soft.assert(b"r");
    assertion.client_data_json =
        br#"{"type":"webauthn.create","challenge":"","origin":""}"#.to_vec();
    assert!(matches!(check(&soft.key, b"r", &assertion), Err(PasskeyError::WrongType { .. })));
}

#[test]
fn an_enrolment_code_is_random_and_its_digest_ignores_how_it_was_typed() {
    let code = new_enrolment_code().expect("randomness");
    assert_eq!(code.len(), 19, "{code}");
    assert_ne!(code, new_enrolment_code().expect("randomness"));
    let typed = code.to_lowercase().replace('-', " ");
    assert_eq!(enrolment_digest(&typed), enrolment_digest(&code));
    assert_ne!(enrolment_digest("AAAA-AAAA-AAAA-AAAB"), enrolment_digest("AAAA-AAAA-AAAA-AAAA"));
}

#[test]
fn a_new_credentials_key_is_read_from_its_attestation_object() {
    for soft in [SoftPasskey::es256(SITE, "a"), SoftPasskey::ed25519(SITE, "a")] {
        let object = soft.attestation_object();
        assert_eq!(key_of_new_credential(&object, SITE), Ok(soft.key.clone()));
        let elsewhere = key_of_new_credential(&object, "other.example.vn");
        assert!(matches!(elsewhere, Err(PasskeyError::WrongSite { .. })));
        for cut in [1, 40, object.len() - 3] {
            assert!(key_of_new_credential(&object[..cut], SITE).is_err(), "cut at {cut}");
        }
    }
    assert!(matches!(key_of_new_credential(b"garbage", SITE), Err(PasskeyError::BadCredential(_))));
}
