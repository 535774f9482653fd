//! A Digital Link in records and JSON: its path form, `/01/{gtin}[/22/..][/10/..][/21/..]`,
//! which is independent of the server that resolves it.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::DigitalLink;

impl Serialize for DigitalLink {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_path())
    }
}

impl<'de> Deserialize<'de> for DigitalLink {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        if !s.starts_with('/') {
            return Err(serde::de::Error::custom(
                "a GS1 key in a record is a path such as /01/09506000134352/10/LOT1",
            ));
        }
        let link = DigitalLink::parse(&s).map_err(serde::de::Error::custom)?;
        // One spelling only: the path must be exactly what the link renders to.
        if link.to_path() != s {
            return Err(serde::de::Error::custom(format!("write this GS1 key as {}", link.to_path())));
        }
        Ok(link)
    }
}
