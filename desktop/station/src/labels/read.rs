//! Reading labels back: every QR code in a photo or a scan of a label or a whole sheet.

use image::GrayImage;
use image::imageops::{self, FilterType};

use super::LabelError;

/// The longest side a photo is searched at first: a phone's 12-megapixel photo shrinks to
/// about a fifth of its pixels, which is quicker to search and still leaves a label held at
/// arm's length several pixels per module.
const SEARCH_SIDE: u32 = 1600;
/// The longest side of the full-detail search, for a sheet photographed from afar.
const DETAIL_SIDE: u32 = 4000;

/// The ways a picture is searched, cheapest and likeliest first: the longest side it is
/// scaled to, and whether it is smoothed first (which reads grainy photos better).
fn passes(longest: u32) -> [(u32, bool); 4] {
    let first = longest.min(SEARCH_SIDE);
    [(first, false), (first, true), (longest.min(DETAIL_SIDE), false), ((first / 2).max(1), true)]
}

/// The text of every QR code found in `image_bytes` (a PNG or JPEG), in the order found. A
/// code that appears twice in the picture is returned twice.
///
/// The picture is turned into gray and its contrast stretched, so a dim or washed-out photo
/// reads like a scan. It is searched at a moderate size first; while some code it sees stays
/// unread, it is searched again smoothed, at full detail and at a coarse size, and the readings
/// merged.
pub fn decode_labels(image_bytes: &[u8]) -> Result<Vec<String>, LabelError> {
    let gray = image::load_from_memory(image_bytes).map_err(LabelError::UnreadableImage)?.into_luma8();
    let mut best = Search::default();
    let mut searched = Vec::new();
    for (side, smooth) in passes(gray.width().max(gray.height())) {
        if searched.contains(&(side, smooth)) {
            continue;
        }
        searched.push((side, smooth));
        let mut picture = normalised(fit_within(&gray, side));
        if smooth {
            picture = imageops::blur(&picture, SMOOTHING_SIGMA);
        }
        best.merge(search(picture));
        if best.complete() {
            break;
        }
    }
    best.into_result()
}

/// Gaussian smoothing, in pixels: evens out grain and JPEG blocks finer than a module.
const SMOOTHING_SIGMA: f32 = 1.2;

/// What one search found: the decoded texts, and how many codes it saw but could not read.
#[derive(Default)]
struct Search {
    texts: Vec<String>,
    unreadable: usize,
}

impl Search {
    /// Keeps, for each text, the largest number of times any one search read it, so that two
    /// searches of the same picture do not count one code twice.
    fn merge(&mut self, other: Search) {
        let mut counted: Vec<&str> = Vec::new();
        for text in &other.texts {
            counted.push(text);
            let seen_here = counted.iter().filter(|t| **t == text.as_str()).count();
            let seen_before = self.texts.iter().filter(|t| *t == text).count();
            if seen_here > seen_before {
                self.texts.push(text.clone());
            }
        }
        if self.texts.is_empty() {
            self.unreadable = self.unreadable.max(other.unreadable);
        } else {
            self.unreadable = other.unreadable;
        }
    }

    /// Whether the last search read every code it saw.
    fn complete(&self) -> bool {
        !self.texts.is_empty() && self.unreadable == 0
    }

    fn into_result(self) -> Result<Vec<String>, LabelError> {
        match (self.texts.is_empty(), self.unreadable) {
            (false, _) => Ok(self.texts),
            (true, 0) => Err(LabelError::NoQrCode),
            (true, found) => Err(LabelError::QrUnreadable { found }),
        }
    }
}

fn search(gray: GrayImage) -> Search {
    let mut prepared = rqrr::PreparedImage::prepare(gray);
    let mut found = Search::default();
    for grid in prepared.detect_grids() {
        match grid.decode() {
            Ok((_, text)) => found.texts.push(text),
            Err(_) => found.unreadable += 1,
        }
    }
    found
}

/// `gray` shrunk so its longest side is at most `side`, or as it is.
fn fit_within(gray: &GrayImage, side: u32) -> GrayImage {
    let (w, h) = gray.dimensions();
    let longest = w.max(h);
    if longest <= side {
        return gray.clone();
    }
    let scale = |v: u32| ((u64::from(v) * u64::from(side) / u64::from(longest)) as u32).max(1);
    imageops::resize(gray, scale(w), scale(h), FilterType::Triangle)
}

/// `gray` with its levels stretched so the darkest percent becomes black and the lightest
/// percent white: a grey-on-grey photo reads as black on white.
fn normalised(mut gray: GrayImage) -> GrayImage {
    let mut histogram = [0usize; 256];
    for p in gray.pixels() {
        histogram[usize::from(p.0[0])] += 1;
    }
    let total = gray.pixels().len();
    let percentile = |share: usize| {
        let target = total * share / 100;
        let mut seen = 0;
        (0u8..=255)
            .find(|&v| {
                seen += histogram[usize::from(v)];
                seen > target
            })
            .unwrap_or(255)
    };
    let (low, high) = (percentile(1), percentile(99));
    if high <= low {
        return gray;
    }
    let span = f32::from(high - low);
    for p in gray.pixels_mut() {
        p.0[0] = (f32::from(p.0[0].saturating_sub(low)) / span * 255.0).min(255.0) as u8;
    }
    gray
}
