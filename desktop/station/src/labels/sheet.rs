//! The printable label sheet: labels placed on the pages of a named stock, written by `krilla`.
//!
//! Text is set in the label face, embedded as a subset of the glyphs the sheet uses, with a
//! ToUnicode map so viewers can search and copy it. Each QR is an image with one pixel per
//! module and interpolation off, so printers and viewers draw square modules at any resolution.
//! Die-cut stock needs no cut guides, so none are printed.

use std::sync::Arc;

use krilla::Document;
use krilla::geom::{Point, Size, Transform};
use krilla::image::{BitsPerComponent, CustomImage, Image, ImageColorspace};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::text::{Font, TextDirection};

use super::qr::Symbol;
use super::stock::{Offset, Stock};
use super::text::{FONT, MM_PER_PT};
use super::{Label, LabelError, layout};

/// A PDF of `labels` on as many pages of `stock` as they need, left to right and top to bottom,
/// everything moved by `offset`.
pub fn sheet_pdf(labels: &[Label], stock: &Stock, offset: Offset) -> Result<Vec<u8>, LabelError> {
    if labels.is_empty() {
        return Err(LabelError::NothingToPrint);
    }
    if !offset.is_valid() {
        return Err(LabelError::Offset(Offset::MAX_MM));
    }
    // Encode every QR first: a URI too long for a QR code fails before any page is drawn.
    let symbols = labels.iter().map(|l| Symbol::encode(&l.uri)).collect::<Result<Vec<_>, _>>()?;
    let font = Font::new(FONT.into(), 0).ok_or_else(|| LabelError::Pdf("the label face".into()))?;
    let pt = |mm: f32| mm / MM_PER_PT;
    let page_settings = PageSettings::from_wh(pt(stock.page_w), pt(stock.page_h))
        .ok_or_else(|| LabelError::Pdf(format!("the page size of {}", stock.id)))?;

    let mut document = Document::new();
    document.set_metadata(Metadata::new().title("Terroir labels".into()).creator("Terroir station".into()));
    for (page_labels, page_symbols) in labels.chunks(stock.per_page()).zip(symbols.chunks(stock.per_page())) {
        let mut page = document.start_page_with(page_settings.clone());
        let mut surface = page.surface();
        for (slot, (label, symbol)) in page_labels.iter().zip(page_symbols).enumerate() {
            let (left, top) = stock.corner(slot, offset);
            let placed = layout::place(label, stock.label_w, stock.label_h, stock.pad);
            let image = Image::from_custom(QrImage::of(symbol), false).map_err(LabelError::Pdf)?;
            surface.push_transform(&Transform::from_translate(pt(left + placed.qr_x), pt(top + placed.qr_y)));
            let side = Size::from_wh(pt(placed.qr_side), pt(placed.qr_side))
                .ok_or_else(|| LabelError::Pdf("the QR size".into()))?;
            surface.draw_image(image, side);
            surface.pop();
            for line in &placed.lines {
                surface.draw_text(
                    Point::from_xy(pt(left + line.x), pt(top + line.baseline)),
                    font.clone(),
                    line.size_pt,
                    &line.text,
                    false,
                    TextDirection::Auto,
                );
            }
        }
        surface.finish();
        page.finish();
    }
    document.finish().map_err(|e| LabelError::Pdf(format!("{e:?}")))
}

/// A QR symbol as an 8-bit grey image, one pixel per module.
#[derive(Clone, Hash)]
struct QrImage {
    side: u32,
    pixels: Arc<Vec<u8>>,
}

impl QrImage {
    fn of(symbol: &Symbol) -> Self {
        let gray = symbol.to_gray(1);
        Self { side: gray.width(), pixels: Arc::new(gray.into_raw()) }
    }
}

impl CustomImage for QrImage {
    fn color_channel(&self) -> &[u8] {
        &self.pixels
    }

    fn alpha_channel(&self) -> Option<&[u8]> {
        None
    }

    fn bits_per_component(&self) -> BitsPerComponent {
        BitsPerComponent::Eight
    }

    fn size(&self) -> (u32, u32) {
        (self.side, self.side)
    }

    fn icc_profile(&self) -> Option<&[u8]> {
        None
    }

    fn color_space(&self) -> ImageColorspace {
        ImageColorspace::Luma
    }
}
