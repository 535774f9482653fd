//! QR labels: PNG previews, the printable A4 sheet, and reading a label back from a photo.
// Interface placeholder; the module's implementation lands separately.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Label {
    pub uri: String,
    pub title: String,
    pub subtitle: String,
    pub hri: String,
}
#[derive(Debug, thiserror::Error)]
pub enum LabelError {
    #[error("x")]
    X,
}
pub fn human_readable(link: &terroir_shared::gs1::DigitalLink) -> String {
    link.to_path()
}
pub fn qr_png(_uri: &str) -> Result<Vec<u8>, LabelError> {
    Err(LabelError::X)
}
pub fn label_png(_label: &Label) -> Result<Vec<u8>, LabelError> {
    Err(LabelError::X)
}
pub fn sheet_pdf(_labels: &[Label]) -> Result<Vec<u8>, LabelError> {
    Err(LabelError::X)
}
pub fn decode_labels(_image_bytes: &[u8]) -> Result<Vec<String>, LabelError> {
    Err(LabelError::X)
}
