//! HTTP/1.1 GET client for provisioning downloads.
//!
//! [`request`] writes the request head and the phone's `User-Agent`;
//! [`body`] decodes `Content-Length`, chunked and read-until-close bodies;
//! [`client`] is the sans-I/O exchange over one TCP connection, with status
//! mapping, size limit and timeouts; [`Redirects`] bounds redirect chains.

pub mod body;
pub mod client;
pub mod request;

pub use body::{BodyDecoder, BodyError, Framing};
pub use client::{Config, HttpError, HttpGet, Redirects, Status};
pub use request::{user_agent, write_request};
