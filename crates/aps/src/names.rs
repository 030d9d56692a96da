//! MAC text and the file names built from model and MAC (CONFORMANCE: "MAC
//! text in file names is 12 upper-case hex digits", e.g.
//! `ST2030S_009096A1B1C1.txt`).
//!
//! Guarantees: names are built in fixed-size buffers that always fit
//! (`ST2030S_` + 12 digits + a 4-byte extension is exactly 24 bytes).

use board::model::Model;
use core::fmt::Write;
use heapless::String;

/// The longest name built here.
pub const NAME_LEN: usize = 24;

/// An Ethernet MAC address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Mac(pub [u8; 6]);

impl Mac {
    /// 12 upper-case hex digits, `009096A1B1C1`.
    pub fn hex(&self) -> String<12> {
        let mut s = String::new();
        for b in self.0 {
            // Cannot fail: 6 bytes are exactly 12 digits.
            let _ = write!(s, "{b:02X}");
        }
        s
    }
    /// Dash-separated, as the HTTP User-Agent shows it: `00-14-7F-E1-47-B3`.
    pub fn dashed(&self) -> String<17> {
        let mut s = String::new();
        for (i, b) in self.0.iter().enumerate() {
            let _ = write!(s, "{}{b:02X}", if i == 0 { "" } else { "-" });
        }
        s
    }
}

/// `<MODEL>_<MAC><ext>`; `ext` is `.inf`, `.txt` or `.ser`.
fn model_mac(model: Model, mac: Mac, ext: &str) -> String<NAME_LEN> {
    let mut s = String::new();
    // Cannot fail for the extensions used below (4 bytes): 7 + 1 + 12 + 4 = 24.
    let _ = write!(s, "{model}_{}{ext}", mac.hex());
    s
}

/// The default INF name, `ST2030S_009096A1B1C1.inf` (D5, P2, P3).
pub fn default_inf(model: Model, mac: Mac) -> String<NAME_LEN> {
    model_mac(model, mac, ".inf")
}

/// The encrypted MAC config, `ST2030S_009096A1B1C1.ser` (F7: tried first).
pub fn mac_config_ser(model: Model, mac: Mac) -> String<NAME_LEN> {
    model_mac(model, mac, ".ser")
}

/// The plain MAC config, `ST2030S_009096A1B1C1.txt` (F7).
pub fn mac_config_txt(model: Model, mac: Mac) -> String<NAME_LEN> {
    model_mac(model, mac, ".txt")
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAC: Mac = Mac([0x00, 0x90, 0x96, 0xA1, 0xB1, 0xC1]);

    #[test]
    fn names_for_every_model() {
        let names: Vec<_> = Model::ALL.iter().map(|&m| default_inf(m, MAC)).collect();
        assert_eq!(names, ["ST2030S_009096A1B1C1.inf", "ST2030M_009096A1B1C1.inf", "ST2022S_009096A1B1C1.inf", "ST2022M_009096A1B1C1.inf"]);
        let m = Model::parse("ST2030S").unwrap();
        assert_eq!(mac_config_ser(m, MAC), "ST2030S_009096A1B1C1.ser");
        assert_eq!(mac_config_txt(m, Mac([0, 0x14, 0x7F, 0, 0xDF, 0xE4])), "ST2030S_00147F00DFE4.txt");
    }

    #[test]
    fn dashed_mac() {
        assert_eq!(Mac([0x00, 0x14, 0x7F, 0xE1, 0x47, 0xB3]).dashed(), "00-14-7F-E1-47-B3");
    }
}
