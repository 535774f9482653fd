//! Where things go on one label, in millimetres from the label's top-left corner: the same for
//! the printed sheet and the on-screen preview, each measuring text with its own face.
//!
//! ```text
//! ┌───────────────────────────────────────────┐
//! │ ┌───────────┐  Title, bold, up to         │
//! │ │           │  two lines                  │
//! │ │    QR     │  Subtitle, up to two lines  │
//! │ │  (quiet   │                             │
//! │ │  zone in) │  (01) 06901234567892        │
//! │ │           │  (10) 2026SP01              │
//! │ └───────────┘  (21) 0001                  │
//! └───────────────────────────────────────────┘
//! ```

use super::Label;
use super::text::{self, Face, Style};

/// A label's width: three across an A4 page with 9 mm side margins.
pub(super) const LABEL_W: f32 = 64.0;
/// A label's height: eight down an A4 page with 10.5 mm top and bottom margins.
pub(super) const LABEL_H: f32 = 34.5;

/// Left edge of the QR image, whose own quiet zone keeps the symbol clear of the cut line.
pub(super) const QR_X: f32 = 2.0;
/// Side of the QR image, quiet zone included: the symbol itself is 21 mm or more, enough for a
/// phone at arm's length.
pub(super) const QR_SIZE: f32 = 29.0;
/// Top edge of the QR image: centred vertically.
pub(super) const QR_Y: f32 = (LABEL_H - QR_SIZE) / 2.0;

const TEXT_X: f32 = QR_X + QR_SIZE + 1.5;
const TEXT_W: f32 = LABEL_W - TEXT_X - 2.5;
const TEXT_TOP: f32 = 3.0;
const TEXT_BOTTOM: f32 = LABEL_H - 3.2;

const TITLE: Style = Style { size_pt: 8.5, bold: true };
const TITLE_LEADING: f32 = 3.6;
const SUBTITLE: Style = Style { size_pt: 7.0, bold: false };
const SUBTITLE_LEADING: f32 = 3.1;
const HRI: Style = Style { size_pt: 6.5, bold: false };
/// The GS1 line shrinks down to this size to show a long lot or serial whole, before it is cut.
const HRI_MIN_PT: f32 = 5.0;
const HRI_LEADING: f32 = 2.7;
/// One line per AI: 01, 22, 10 and 21 at the most.
const HRI_MAX_LINES: usize = 4;

/// Cap height as a share of the font size, to put the first baseline under the top margin.
const ASCENT: f32 = 0.72;

/// One line of text, placed.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Line {
    pub text: String,
    pub style: Style,
    pub x: f32,
    /// The baseline, down from the label's top edge.
    pub baseline: f32,
}

/// The text lines of `label` as `face` can show them, each fitting its width: title and
/// subtitle from the top, the GS1 line at the bottom, one AI per line.
pub(super) fn lines(label: &Label, face: &dyn Face) -> Vec<Line> {
    let mut out = Vec::new();
    let mut baseline = TEXT_TOP + ASCENT * TITLE.size_pt * text::MM_PER_PT;
    let title = text::showable(&label.title, face);
    for line in text::wrap(&title, TEXT_W, 2, TITLE, face) {
        out.push(Line { text: line, style: TITLE, x: TEXT_X, baseline });
        baseline += TITLE_LEADING;
    }
    if !out.is_empty() {
        baseline += SUBTITLE_LEADING - TITLE_LEADING;
    }
    let subtitle = text::showable(&label.subtitle, face);
    for line in text::wrap(&subtitle, TEXT_W, 2, SUBTITLE, face) {
        out.push(Line { text: line, style: SUBTITLE, x: TEXT_X, baseline });
        baseline += SUBTITLE_LEADING;
    }

    let mut elements = text::hri_elements(&text::showable(&label.hri, face));
    if elements.len() > HRI_MAX_LINES {
        let rest = elements.split_off(HRI_MAX_LINES - 1).join(" ");
        elements.push(rest);
    }
    let size_pt = elements
        .iter()
        // A hair under the full width, so rounding cannot tip a line over it.
        .map(|e| HRI.size_pt * (TEXT_W - 0.05) / text::width_mm(e, HRI, face).max(f32::EPSILON))
        .fold(HRI.size_pt, f32::min)
        .max(HRI_MIN_PT);
    let style = Style { size_pt, ..HRI };
    let first = TEXT_BOTTOM - HRI_LEADING * (elements.len().saturating_sub(1)) as f32;
    for (i, element) in elements.iter().enumerate() {
        let text = text::fit(element, TEXT_W, style, face);
        out.push(Line { text, style, x: TEXT_X, baseline: first + HRI_LEADING * i as f32 });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labels::text::Helvetica;

    fn width(line: &Line) -> f32 {
        text::width_mm(&line.text, line.style, &Helvetica)
    }

    #[test]
    fn the_longest_text_stays_inside_the_label_and_clear_of_the_qr() {
        let label = Label {
            uri: String::new(),
            title: "Ancient arbor Pu'er raw tea cake, spring harvest, 357 g".repeat(3),
            subtitle: "Laobanzhang village cooperative · Menghai county · 2026 spring".repeat(3),
            hri: "(01) 06901234567892 (22) WWWWWWWWWWWWWWWWWWWW (10) WWWWWWWWWWWWWWWWWWWW \
                  (21) WWWWWWWWWWWWWWWWWWWW (99) extra"
                .to_owned(),
        };
        let lines = lines(&label, &Helvetica);
        assert_eq!(lines.len(), 2 + 2 + HRI_MAX_LINES);
        for line in &lines {
            assert!(line.x >= QR_X + QR_SIZE, "{line:?}");
            assert!(line.x + width(line) <= LABEL_W - 2.0, "{line:?}");
        }
        // No line's descenders reach the capitals of the line below.
        for pair in lines.windows(2) {
            let cap = ASCENT * pair[1].style.size_pt * text::MM_PER_PT;
            let descent = 0.21 * pair[0].style.size_pt * text::MM_PER_PT;
            assert!(pair[1].baseline - cap > pair[0].baseline + descent, "{pair:?}");
        }
        let last = lines.last().map(|l| l.baseline).unwrap_or_default();
        assert!(last <= LABEL_H - 2.0);
    }

    #[test]
    fn text_from_anywhere_in_unicode_fits_its_line() {
        let all: Vec<char> = (0..=0x10FFFF).step_by(7).filter_map(char::from_u32).collect();
        for chunk in all.chunks(61) {
            let text: String = chunk.iter().collect();
            let label = Label { uri: String::new(), title: text.clone(), subtitle: text.clone(), hri: text };
            for line in lines(&label, &Helvetica) {
                assert!(line.x + width(&line) <= LABEL_W - 2.0, "{line:?}");
                assert!(line.text.chars().all(|c| Helvetica.shows(c)), "{line:?}");
            }
        }
    }

    #[test]
    fn a_long_lot_shrinks_the_gs1_line_to_show_it_whole() {
        let label = Label {
            uri: String::new(),
            title: String::new(),
            subtitle: String::new(),
            hri: "(01) 06901234567892 (10) LBZ-2026-SPRING-0001 (21) 0001".to_owned(),
        };
        let lines = lines(&label, &Helvetica);
        assert_eq!(lines[1].text, "(10) LBZ-2026-SPRING-0001");
        assert!(lines.iter().all(|l| l.style == lines[0].style && l.style.size_pt < HRI.size_pt));
        assert!(width(&lines[1]) <= TEXT_W);
    }
}
