//! GS1 keys and the GS1 Digital Link URIs that labels carry.

mod digital_link;
mod gtin;
pub mod links;

pub use digital_link::{Ai, DigitalLink, DigitalLinkError, MAX_VALUE_LEN, is_cset82};
pub use gtin::{Gtin, GtinError, gs1_check_digit};
mod wire;
