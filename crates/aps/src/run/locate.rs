//! Where each file of a run is fetched from (CONFORMANCE I4, F7).
//!
//! - A value that is an absolute `http(s)://` URL is fetched from it, over
//!   either transport.
//! - Over HTTP, any other value is relative to the INF's URL.
//! - Over TFTP, any other value is a name on the INF's server, passed as
//!   the INF wrote it (the TFTP client sends it as is).
//! - The MAC config: over TFTP at the server root; over HTTP in the INF's
//!   `config=` directory, and **Decision:** without `config=`, in the INF's
//!   own directory (as a relative value would be).
//!
//! Guarantees: no allocation, no panic; a bad URL is a typed error.

use super::action::Location;
use super::log::Name;
use crate::names::NAME_LEN;
use crate::url::{self, Host, Url, UrlError};
use heapless::String;

/// Where the INF came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin<'a> {
    Tftp {
        server: Host<'a>,
        port: u16,
    },
    /// The INF's absolute URL.
    Http {
        inf_url: Url<'a>,
    },
}

impl Origin<'_> {
    pub fn is_http(&self) -> bool {
        matches!(self, Origin::Http { .. })
    }
}

/// The location of an INF value.
pub fn file<'a>(origin: &Origin<'a>, value: &'a [u8]) -> Result<Location<'a>, UrlError> {
    if url::has_scheme(value) {
        return Url::parse(value)?.join(value).map(Location::Http);
    }
    match *origin {
        Origin::Http { inf_url } => inf_url.join(value).map(Location::Http),
        Origin::Tftp { server, port } => Ok(Location::Tftp { server, port, name: Name::Inf(value) }),
    }
}

/// The location of the MAC config file `name` (F7).
pub fn mac_file<'a>(origin: &Origin<'a>, config_dir: Option<&'a [u8]>, name: &String<NAME_LEN>) -> Result<Location<'a>, UrlError> {
    match *origin {
        Origin::Tftp { server, port } => Ok(Location::Tftp { server, port, name: Name::Built(name.clone()) }),
        Origin::Http { inf_url } => {
            let dir = match config_dir {
                Some(d) if url::has_scheme(d) => Url::parse(d)?.join(d)?,
                Some(d) => inf_url.join(d)?,
                None => inf_url.join(b".")?,
            };
            dir.file_in_dir(name.as_bytes()).map(Location::Http)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::net::Ipv4Addr;

    fn http_path(l: Result<Location<'_>, UrlError>) -> (std::vec::Vec<u8>, std::vec::Vec<u8>) {
        match l.unwrap() {
            Location::Http(r) => (r.host_text.to_vec(), r.path().to_vec()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn http_values() {
        let o = Origin::Http { inf_url: Url::parse(b"http://aps.lan/st2030s/ST2030S.inf").unwrap() };
        assert_eq!(http_path(file(&o, b"v2030SG.2.69.zz")), (b"aps.lan".to_vec(), b"/st2030s/v2030SG.2.69.zz".to_vec()));
        assert_eq!(http_path(file(&o, b"http://10.1.29.198/ring.txt")), (b"10.1.29.198".to_vec(), b"/ring.txt".to_vec()));
        assert_eq!(file(&o, b"../../x"), Err(UrlError::AboveRoot));
    }

    #[test]
    fn tftp_values_pass_through_and_urls_go_http() {
        let o = Origin::Tftp { server: Host::Ip(Ipv4Addr::new(10, 0, 0, 1)), port: 69 };
        assert_eq!(
            file(&o, b".\\ip_phones\\v100.zz"),
            Ok(Location::Tftp { server: Host::Ip(Ipv4Addr::new(10, 0, 0, 1)), port: 69, name: Name::Inf(b".\\ip_phones\\v100.zz") })
        );
        assert_eq!(http_path(file(&o, b"http://h/f.txt")), (b"h".to_vec(), b"/f.txt".to_vec()));
    }

    #[test]
    fn mac_file_places() {
        let name: String<NAME_LEN> = String::try_from("ST2030S_009096A1B1C1.ser").unwrap();
        let o = Origin::Http { inf_url: Url::parse(b"http://aps.lan/st2030s/ST2030S.inf").unwrap() };
        assert_eq!(http_path(mac_file(&o, Some(b"config/"), &name)).1, b"/st2030s/config/ST2030S_009096A1B1C1.ser");
        assert_eq!(
            http_path(mac_file(&o, Some(b"http://upgrade.company.com/st2030m/config"), &name)),
            (b"upgrade.company.com".to_vec(), b"/st2030m/config/ST2030S_009096A1B1C1.ser".to_vec())
        );
        assert_eq!(http_path(mac_file(&o, None, &name)).1, b"/st2030s/ST2030S_009096A1B1C1.ser");
        let t = Origin::Tftp { server: Host::Name(b"tftp"), port: 69 };
        assert_eq!(
            mac_file(&t, Some(b"cfg/"), &name),
            Ok(Location::Tftp { server: Host::Name(b"tftp"), port: 69, name: Name::Built(name.clone()) })
        );
    }
}
