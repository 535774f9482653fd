//! QR labels: PNG previews, printable sheets on named label stocks, and reading a label back
//! from a photo.
//!
//! A label carries the GS1 Digital Link URI of one asset as a QR code (error correction level M,
//! quiet zone included), with a title, further lines (origin, harvest and pressing, the co-op)
//! and the GS1 human-readable interpretation beside it. The PDF sheet is the printed artefact;
//! the PNG preview is for the app's screen. Both set text in one face that shows Chinese, pinyin
//! and Latin (`text`).
//!
//! Architecture Invariant: nothing here panics on any input text, and the QR always carries the
//! URI unchanged. A character the face lacks (a rare ideograph outside the basic block, an
//! emoji) is folded to a close one or left out, and the rest of the line is kept. Text wraps,
//! then shrinks; only text too long for the label even at 60 % of its size ends in `…`.

mod content;
mod layout;
mod preview;
mod qr;
mod read;
mod sheet;
mod stock;
mod text;

use terroir_shared::gs1::DigitalLink;

pub use content::label_of;
pub use preview::label_png;
pub use qr::qr_png;
pub use read::decode_labels;
pub use sheet::sheet_pdf;
pub use stock::{Offset, STOCKS, Stock};

/// What one label shows: the QR of `uri` (a GS1 Digital Link URI, e.g.
/// `https://ledger.example/01/06901234567892/10/2026SP01/21/0001`), a title (e.g.
/// `普洱茶饼 Pu'er tea cake 357 g`), further lines (e.g. `老班章 Laobanzhang · 布朗山`, the
/// harvest and pressing, the co-op), and the human-readable GS1 line (e.g.
/// `(01) 06901234567892 (10) 2026SP01 (21) 0001`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Label {
    pub uri: String,
    pub title: String,
    pub lines: Vec<String>,
    pub hri: String,
}

/// Why a label could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum LabelError {
    /// `sheet_pdf` was given no labels.
    #[error("there are no labels to print: a sheet needs at least one label")]
    NothingToPrint,
    /// The URI does not fit in a QR code at error correction level M.
    #[error("the link ({len} bytes) cannot be encoded as a QR code: {source}")]
    QrEncode {
        len: usize,
        #[source]
        source: qrcode::types::QrError,
    },
    /// Writing a PNG failed.
    #[error("the PNG image could not be written: {0}")]
    Png(#[source] image::ImageError),
    /// The PDF writer refused the document.
    #[error("the PDF sheet could not be written: {0}")]
    Pdf(String),
    /// The printer offset is out of range.
    #[error("the printer offset moves the print at most {0} mm each way")]
    Offset(f32),
    /// The bytes given to `decode_labels` are not a PNG or JPEG image.
    #[error("the file is not a PNG or JPEG image that can be read: {0}")]
    UnreadableImage(#[source] image::ImageError),
    /// No QR code was found in the image.
    #[error(
        "no QR code was found in the image; take the photo again with the whole label in view, \
         in focus and well lit"
    )]
    NoQrCode,
    /// QR codes were found but none could be decoded.
    #[error(
        "{found} QR code(s) were found in the image but none could be read; take the photo again \
         closer, in focus and without glare"
    )]
    QrUnreadable { found: usize },
}

/// The GS1 human-readable interpretation of `link`, AI by AI in the order the link carries them:
/// `(01) 06901234567892 (10) 2026SP01 (21) 0001`. Qualifiers the link lacks are left out.
pub fn human_readable(link: &DigitalLink) -> String {
    let mut out = format!("(01) {}", link.gtin());
    let qualifiers = [("22", link.cpv()), ("10", link.lot()), ("21", link.serial())];
    for (ai, value) in qualifiers {
        if let Some(value) = value {
            out.push_str(&format!(" ({ai}) {value}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use terroir_shared::gs1::Gtin;

    use super::*;

    #[test]
    fn human_readable_keeps_the_link_order() {
        let gtin = Gtin::parse("06901234567892").expect("valid GTIN");
        let link = DigitalLink::new(gtin, Some("A1"), Some("L7"), Some("9")).expect("valid link");
        assert_eq!(human_readable(&link), "(01) 06901234567892 (22) A1 (10) L7 (21) 9");
    }
}
