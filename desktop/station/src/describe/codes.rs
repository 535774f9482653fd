//! What is wrong with a typed GTIN or ear tag, in both languages, from the core's own finding.

use terroir_shared::ear_tag::EarTagError;
use terroir_shared::gs1::GtinError;

use crate::words::{Said, said};

/// Why a typed GTIN is not one.
pub fn gtin_problem(e: &GtinError) -> Said {
    match e {
        GtinError::WrongLength { len } | GtinError::NotFourteenDigits { len } => said(
            format!("a GTIN has 8, 12, 13 or 14 digits; this one has {len}"),
            format!("GTIN 应为 8、12、13 或 14 位数字；这里有 {len} 位"),
        ),
        GtinError::NonDigit { position, ch } => said(
            format!("a GTIN is made of digits only; character {position} is {ch:?}"),
            format!("GTIN 只能由数字组成；第 {position} 个字符是 {ch:?}"),
        ),
        GtinError::WrongCheckDigit { expected, found } => said(
            format!("the check digit should be {expected}, not {found}; the number was probably mistyped"),
            format!("校验位应为 {expected}，不是 {found}；号码可能输错了"),
        ),
        other => said("not a valid GTIN", "GTIN 无效").with_detail(other),
    }
}

/// Why a typed ear tag is not one a cattle register accepts.
pub fn ear_tag_problem(e: &EarTagError) -> Said {
    match e {
        EarTagError::WrongLength { len } => said(
            format!("an ear tag has 15 digits; this one has {len}"),
            format!("耳标号应为 15 位数字；这里有 {len} 位"),
        ),
        EarTagError::NonDigit { position, ch } => said(
            format!("an ear tag is digits only, without spaces or hyphens; character {position} is {ch:?}"),
            format!("耳标号只能是数字，不含空格或连字符；第 {position} 个字符是 {ch:?}"),
        ),
        EarTagError::NotCattle { digit, .. } => said(
            format!(
                "species digit {digit} is not cattle; only cattle tags (species digit 2) can be registered"
            ),
            format!("畜种位 {digit} 不是牛；只能登记牛的耳标（畜种位为 2）"),
        ),
        EarTagError::UnknownProvince { code } => said(
            format!("{code:02} (digits 2–3) is not a Chinese province-level division code"),
            format!("{code:02}（第 2–3 位）不是中国省级行政区划代码"),
        ),
        EarTagError::ProvinceNotCounty { division } => said(
            format!("administrative division {division} (digits 2–7) is a province, not a county"),
            format!("行政区划 {division}（第 2–7 位）是省级，不是县级"),
        ),
        EarTagError::SequenceZero => said("the 8-digit sequence number is all zeros", "8 位顺序号全为零"),
        EarTagError::Ambiguous { code, .. } => said(
            format!(
                "{code} reads both as an ISO 11784 tag and as a Chinese national cattle tag; choose the scheme"
            ),
            format!("{code} 既可读作 ISO 11784 耳标，也可读作中国国家牛耳标；请选择耳标制式"),
        ),
        EarTagError::Unrecognised { iso11784, china } => {
            let (iso, cn) = (ear_tag_problem(iso11784), ear_tag_problem(china));
            said(
                format!(
                    "not a valid ear tag: as ISO 11784, {}; as a Chinese national tag, {}",
                    iso.en, cn.en
                ),
                format!("不是有效的耳标号：按 ISO 11784，{}；按中国国家标准，{}", iso.zh, cn.zh),
            )
        }
        other => said("not a valid ear tag", "耳标号无效").with_detail(other),
    }
}

#[cfg(test)]
mod tests {
    use terroir_shared::ear_tag::EarTag;
    use terroir_shared::gs1::Gtin;

    use super::*;

    #[test]
    fn a_mistyped_gtin_or_ear_tag_is_explained_in_both_languages() {
        let e = Gtin::parse("06901234567891").expect_err("wrong check digit");
        assert_eq!(gtin_problem(&e).zh, "校验位应为 2，不是 1；号码可能输错了");
        let e = EarTag::detect("15600000000000").expect_err("14 digits");
        assert!(ear_tag_problem(&e).zh.contains("15 位"), "{:?}", ear_tag_problem(&e));
    }
}
