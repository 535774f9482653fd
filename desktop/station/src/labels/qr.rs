//! The QR symbol of a label: its modules, encoded once, and the pixels both outputs draw from.

use image::{GrayImage, ImageFormat, Luma};
use qrcode::{Color, EcLevel, QrCode};

use super::LabelError;

/// The light margin around the symbol that ISO/IEC 18004 asks for, in modules.
const QUIET_ZONE: usize = 4;

/// Pixels per module in [`qr_png`]: large enough to look sharp on screen, and a whole number so
/// that every module is the same size.
const PNG_PIXELS_PER_MODULE: u32 = 8;

/// A PNG of the QR code of `uri` alone, error correction level M, with its quiet zone, eight
/// pixels per module.
pub fn qr_png(uri: &str) -> Result<Vec<u8>, LabelError> {
    let symbol = Symbol::encode(uri)?;
    encode_png(&symbol.to_gray(PNG_PIXELS_PER_MODULE))
}

/// A QR symbol with its quiet zone: a square of `size` × `size` modules.
pub(super) struct Symbol {
    size: usize,
    dark: Vec<bool>,
}

impl Symbol {
    /// Encodes `uri` as bytes at error correction level M, the level GS1 recommends for
    /// Digital Link on packaging (it survives about 15 % damage).
    pub(super) fn encode(uri: &str) -> Result<Self, LabelError> {
        let code = QrCode::with_error_correction_level(uri, EcLevel::M)
            .map_err(|source| LabelError::QrEncode { len: uri.len(), source })?;
        let inner = code.width();
        let size = inner + 2 * QUIET_ZONE;
        let mut dark = vec![false; size * size];
        for (i, color) in code.to_colors().into_iter().enumerate() {
            let (x, y) = (i % inner + QUIET_ZONE, i / inner + QUIET_ZONE);
            dark[y * size + x] = color == Color::Dark;
        }
        Ok(Self { size, dark })
    }

    /// Modules across, quiet zone included.
    pub(super) fn size(&self) -> usize {
        self.size
    }

    fn is_dark(&self, x: usize, y: usize) -> bool {
        self.dark[y * self.size + x]
    }

    /// The symbol as 8-bit gray pixels, `scale` pixels per module.
    pub(super) fn to_gray(&self, scale: u32) -> GrayImage {
        let side = self.size as u32 * scale;
        GrayImage::from_fn(side, side, |x, y| {
            let dark = self.is_dark((x / scale) as usize, (y / scale) as usize);
            Luma([if dark { 0 } else { 255 }])
        })
    }
}

/// PNG bytes of a gray image.
pub(super) fn encode_png(img: &GrayImage) -> Result<Vec<u8>, LabelError> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png).map_err(LabelError::Png)?;
    Ok(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quiet_zone_is_light_and_the_finder_corner_dark() {
        let symbol = Symbol::encode("https://ledger.example/01/06901234567892").expect("encodes");
        let last = symbol.size() - 1;
        assert!((0..symbol.size()).all(|i| !symbol.is_dark(i, 0) && !symbol.is_dark(last, i)));
        assert!(symbol.is_dark(QUIET_ZONE, QUIET_ZONE));
        let gray = symbol.to_gray(1);
        assert!(
            gray.enumerate_pixels().all(|(x, y, p)| (p.0[0] == 0) == symbol.is_dark(x as usize, y as usize))
        );
    }
}
