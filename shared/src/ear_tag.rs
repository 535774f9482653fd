//! Cattle ear tags: ISO 11784 15-digit codes and China's 15-digit national ear tag.
