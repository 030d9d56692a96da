//! The order of a provisioning run (CONFORMANCE F1, F3, F9, F10; vendor
//! document 2.4.1, 2.4.2, 2.5.1, 2.5.2) as a fixed list of steps per
//! protocol.
//!
//! The firmware images come first (application, then DSP and boot, I3),
//! then [`Step::AfterImages`] where HTTP runs and MGCP phones reboot onto the
//! new firmware (F3). Keys an INF holds for the other protocol (`tone_table`
//! or the SIPs certificates for MGCP, `beep_tone` for SIP) are ignored and
//! logged (I5), as are deck files for SIP.
//!
//! Guarantees: a plan is a `'static` list of at most [`MAX_STEPS`] steps, so
//! a run is bounded by it.

use super::kind::FileKind;
use board::model::Protocol;

/// One step of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Fetch and install one file when its name differs (F2, F4–F6).
    File(FileKind),
    /// F3: reboot onto new firmware now (HTTP, MGCP) or at the end (SIP over TFTP).
    AfterImages,
    /// F7: `<MODEL>_<MAC>.ser`, then `.txt`.
    MacConfig,
    /// F8, F11, I2: apply the configs.
    Apply,
    /// F9: reboot iff anything was installed.
    Finish,
    /// F10: every deck file, every run.
    Decks,
}

use FileKind as K;
use Step::File as F;

const SIP: &[Step] = &[
    F(K::App),
    F(K::Dsp),
    F(K::Boot),
    Step::AfterImages,
    F(K::Melodies),
    F(K::SystemMelodies),
    F(K::CallWaitingTone),
    F(K::ToneTable),
    F(K::LanguageTable),
    F(K::CertAps),
    F(K::PkeyAps),
    F(K::CalistAps),
    F(K::CertHttps),
    F(K::PkeyHttps),
    F(K::CalistHttps),
    F(K::Telcfg),
    F(K::CommonConfig),
    Step::MacConfig,
    Step::Apply,
    Step::Finish,
];

const MGCP: &[Step] = &[
    F(K::App),
    F(K::Dsp),
    F(K::Boot),
    Step::AfterImages,
    F(K::Melodies),
    F(K::SystemMelodies),
    F(K::CallWaitingTone),
    F(K::BeepTone),
    F(K::LanguageTable),
    F(K::CertHttps),
    F(K::PkeyHttps),
    F(K::CalistHttps),
    F(K::Telcfg),
    F(K::CommonConfig),
    Step::MacConfig,
    Step::Apply,
    Step::Finish,
    Step::Decks,
];

/// The longest plan.
pub const MAX_STEPS: usize = 20;

/// The steps of a run for `protocol`, in order.
pub fn plan(protocol: Protocol) -> &'static [Step] {
    match protocol {
        Protocol::Sip => SIP,
        Protocol::Mgcp => MGCP,
    }
}

/// True when the protocol's plan fetches `kind` (deck files: MGCP only).
pub fn uses(protocol: Protocol, kind: FileKind) -> bool {
    plan(protocol).iter().any(|s| match s {
        Step::File(k) => *k == kind,
        Step::Decks => kind == FileKind::DeckFile,
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(p: Protocol) -> Vec<&'static str> {
        plan(p).iter().filter_map(|s| if let Step::File(k) = s { Some(k.tag()) } else { None }).collect()
    }

    #[test]
    fn f1_sip_order() {
        assert_eq!(
            files(Protocol::Sip),
            [
                "Firmware",
                "DspFirmware",
                "BootFirmware",
                "Melody",
                "SystemMelody",
                "CWTMelody",
                "ToneTable",
                "LanguageTable",
                "CertSIPs",
                "PkeySIPs",
                "CASIPs",
                "CertHTTPs",
                "PkeyHTTPs",
                "CAHTTPs",
                "TelConfig",
                "CommonConfig",
            ]
        );
        assert_eq!(&plan(Protocol::Sip)[17..], [Step::MacConfig, Step::Apply, Step::Finish]);
    }

    #[test]
    fn f1_mgcp_order_with_decks_after_the_reboot_step() {
        assert_eq!(
            files(Protocol::Mgcp),
            [
                "Firmware",
                "DspFirmware",
                "BootFirmware",
                "Melody",
                "SystemMelody",
                "CWTMelody",
                "BeepTone",
                "LanguageTable",
                "CertHTTPs",
                "PkeyHTTPs",
                "CAHTTPs",
                "TelConfig",
                "CommonConfig",
            ]
        );
        assert_eq!(&plan(Protocol::Mgcp)[14..], [Step::MacConfig, Step::Apply, Step::Finish, Step::Decks]);
    }

    #[test]
    fn protocol_specific_kinds() {
        assert!(uses(Protocol::Sip, FileKind::ToneTable) && !uses(Protocol::Mgcp, FileKind::ToneTable));
        assert!(uses(Protocol::Mgcp, FileKind::BeepTone) && !uses(Protocol::Sip, FileKind::BeepTone));
        assert!(uses(Protocol::Mgcp, FileKind::DeckFile) && !uses(Protocol::Sip, FileKind::DeckFile));
        assert!(!uses(Protocol::Mgcp, FileKind::CertAps));
        assert!(plan(Protocol::Sip).len() <= MAX_STEPS && plan(Protocol::Mgcp).len() <= MAX_STEPS);
    }
}
