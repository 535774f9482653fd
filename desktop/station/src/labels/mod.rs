//! QR labels: PNG previews, the printable A4 sheet, and reading a label back from a photo.
