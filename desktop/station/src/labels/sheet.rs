//! The printable label sheet: A4 portrait, 3 × 8 labels a page, thin grey cut guides.
//!
//! Each QR is a 1-bit image with one pixel per module and interpolation off, so printers and
//! viewers draw square modules at any resolution, and each label costs a few hundred bytes
//! (about 13 kB a page once printpdf compresses the streams, which it does in release builds).
//! Text is in the builtin Helvetica (see `text` for the characters it cannot show).

use printpdf::{
    BuiltinFont, Color, ColorBits, ColorSpace, Greyscale, Image, ImageTransform, ImageXObject,
    IndirectFontRef, Line, Mm, PdfDocument, PdfLayerReference, Point, Px,
};

use super::layout::{self, LABEL_H, LABEL_W, QR_SIZE, QR_X, QR_Y};
use super::qr::Symbol;
use super::text::Helvetica;
use super::{Label, LabelError};

const PAGE_W: f32 = 210.0;
const PAGE_H: f32 = 297.0;
const COLUMNS: usize = 3;
const ROWS: usize = 8;
/// Labels on one page.
pub const LABELS_PER_PAGE: usize = COLUMNS * ROWS;
const MARGIN_X: f32 = (PAGE_W - COLUMNS as f32 * LABEL_W) / 2.0;
const MARGIN_Y: f32 = (PAGE_H - ROWS as f32 * LABEL_H) / 2.0;

/// Light enough not to distract, dark enough to cut along.
const GUIDE_GREY: f32 = 0.75;
const GUIDE_WIDTH_PT: f32 = 0.25;

/// A PDF of `labels` on as many A4 pages as they need, left to right and top to bottom.
pub fn sheet_pdf(labels: &[Label]) -> Result<Vec<u8>, LabelError> {
    if labels.is_empty() {
        return Err(LabelError::NothingToPrint);
    }
    // Encode every QR first: a URI too long for a QR code fails before any page is drawn.
    let symbols = labels.iter().map(|l| Symbol::encode(&l.uri)).collect::<Result<Vec<_>, _>>()?;

    let (doc, first_page, first_layer) = PdfDocument::new("Terroir labels", Mm(PAGE_W), Mm(PAGE_H), "Labels");
    let fonts = Fonts {
        regular: doc.add_builtin_font(BuiltinFont::Helvetica)?,
        bold: doc.add_builtin_font(BuiltinFont::HelveticaBold)?,
    };
    let mut layer = doc.get_page(first_page).get_layer(first_layer);
    for (i, (label, symbol)) in labels.iter().zip(&symbols).enumerate() {
        let slot = i % LABELS_PER_PAGE;
        if i > 0 && slot == 0 {
            let (page, page_layer) = doc.add_page(Mm(PAGE_W), Mm(PAGE_H), "Labels");
            layer = doc.get_page(page).get_layer(page_layer);
        }
        let left = MARGIN_X + (slot % COLUMNS) as f32 * LABEL_W;
        let top = PAGE_H - MARGIN_Y - (slot / COLUMNS) as f32 * LABEL_H;
        draw_label(&layer, &fonts, left, top, label, symbol);
    }
    Ok(doc.save_to_bytes()?)
}

struct Fonts {
    regular: IndirectFontRef,
    bold: IndirectFontRef,
}

/// One label whose top-left corner is at (`left`, `top`) in page millimetres from the bottom
/// left: its cut guide, its QR and its text.
fn draw_label(layer: &PdfLayerReference, fonts: &Fonts, left: f32, top: f32, label: &Label, symbol: &Symbol) {
    layer.set_outline_color(Color::Greyscale(Greyscale::new(GUIDE_GREY, None)));
    layer.set_outline_thickness(GUIDE_WIDTH_PT);
    let corners = [(0.0, 0.0), (LABEL_W, 0.0), (LABEL_W, LABEL_H), (0.0, LABEL_H)];
    layer.add_line(Line {
        points: corners.iter().map(|&(x, y)| (Point::new(Mm(left + x), Mm(top - y)), false)).collect(),
        is_closed: true,
    });

    let modules = symbol.size();
    let qr = ImageXObject {
        width: Px(modules),
        height: Px(modules),
        color_space: ColorSpace::Greyscale,
        bits_per_component: ColorBits::Bit1,
        interpolate: false,
        image_data: symbol.to_bit1_rows(),
        image_filter: None,
        smask: None,
        clipping_bbox: None,
    };
    Image::from(qr).add_to_layer(
        layer.clone(),
        ImageTransform {
            translate_x: Some(Mm(left + QR_X)),
            translate_y: Some(Mm(top - QR_Y - QR_SIZE)),
            // The resolution at which `modules` pixels span QR_SIZE millimetres.
            dpi: Some(modules as f32 * 25.4 / QR_SIZE),
            ..ImageTransform::default()
        },
    );

    for line in layout::lines(label, &Helvetica) {
        let font = if line.style.bold { &fonts.bold } else { &fonts.regular };
        layer.use_text(line.text, line.style.size_pt, Mm(left + line.x), Mm(top - line.baseline), font);
    }
}
