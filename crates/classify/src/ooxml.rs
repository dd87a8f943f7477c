//! The text of Office Open XML parts (DOCX `word/document.xml`, PPTX slides): the text runs
//! in document order, a line break after each paragraph, read with byte searches rather than a
//! general XML parser (the parts are mostly markup around short runs).

use memchr::memmem::Finder;

/// Appends XML text with its entity and character references resolved, and the `_xHHHH_`
/// escapes OOXML uses for control characters.
pub(crate) fn unescape_into(raw: &[u8], out: &mut String) {
    let text = match std::str::from_utf8(raw) {
        Ok(t) => std::borrow::Cow::Borrowed(t),
        Err(_) => String::from_utf8_lossy(raw),
    };
    if !text.contains(['&', '_']) {
        out.push_str(&text);
        return;
    }
    let mut rest: &str = &text;
    while let Some(i) = rest.find(['&', '_']) {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        if rest.starts_with('&') {
            let Some(semi) = rest.find(';').filter(|&k| k <= 10) else {
                out.push('&');
                rest = &rest[1..];
                continue;
            };
            let name = &rest[1..semi];
            let c = match name {
                "lt" => Some('<'),
                "gt" => Some('>'),
                "amp" => Some('&'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => name
                    .strip_prefix("#x")
                    .or_else(|| name.strip_prefix("#X"))
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            };
            match c {
                Some(c) => {
                    out.push(c);
                    rest = &rest[semi + 1..];
                }
                None => {
                    out.push('&');
                    rest = &rest[1..];
                }
            }
        } else {
            // `_x000D_`: seven characters, four hex digits.
            let code = rest
                .get(..7)
                .filter(|s| s.starts_with("_x") && s.ends_with('_'))
                .and_then(|s| u32::from_str_radix(&s[2..6], 16).ok())
                .and_then(char::from_u32);
            match code {
                Some(c) => {
                    out.push(c);
                    rest = &rest[7..];
                }
                None => {
                    out.push('_');
                    rest = &rest[1..];
                }
            }
        }
    }
    out.push_str(rest);
}

/// The body of the element whose start tag begins at `tag` in `xml`: `(start, end)` of the text
/// between the start tag and the `close` tag (the end of `xml` when it is missing; empty for a
/// self-closing tag); `None` when the start tag itself is cut off.
pub(crate) fn element_body(xml: &[u8], tag: usize, close: &Finder<'_>) -> Option<(usize, usize)> {
    let gt = tag + memchr::memchr(b'>', xml.get(tag..)?)?;
    let body = gt + 1;
    if gt > tag && xml[gt - 1] == b'/' {
        return Some((body, body));
    }
    let end = close.find(&xml[body..]).map_or(xml.len(), |k| body + k);
    Some((body, end))
}

/// The text of the `<{run}>` elements of `xml` (`w:t` in DOCX, `a:t` in PPTX), a `\n` after
/// each `</{paragraph}>`, a tab for `<w:tab/>` and a line break for `<w:br/>`/`<a:br/>`.
pub(crate) fn paragraph_text(xml: &[u8], run: &str, paragraph: &str) -> String {
    let open = format!("<{run}");
    let close = format!("</{run}>");
    let close_finder = Finder::new(close.as_bytes());
    let paragraph_end = format!("</{paragraph}>");
    let prefix = run.split_once(':').map_or("", |(p, _)| p);
    let tab = format!("<{prefix}:tab");
    let br = format!("<{prefix}:br");
    let mut out = String::with_capacity(xml.len() / 8);
    let mut at = 0;
    while let Some(i) = memchr::memchr(b'<', &xml[at..]) {
        let tag = at + i;
        let rest = &xml[tag..];
        if rest.starts_with(open.as_bytes()) && matches!(rest.get(open.len()), Some(b'>' | b' ')) {
            let Some((body, end)) = element_body(xml, tag, &close_finder) else {
                break;
            };
            unescape_into(&xml[body..end], &mut out);
            at = if end == body {
                body
            } else {
                (end + close.len()).min(xml.len())
            };
        } else if rest.starts_with(paragraph_end.as_bytes()) {
            out.push('\n');
            at = tag + paragraph_end.len();
        } else if rest.starts_with(tab.as_bytes())
            && matches!(rest.get(tab.len()), Some(b'/' | b'>' | b' '))
        {
            out.push('\t');
            at = tag + 1;
        } else if rest.starts_with(br.as_bytes())
            && matches!(rest.get(br.len()), Some(b'/' | b'>' | b' '))
        {
            out.push('\n');
            at = tag + 1;
        } else {
            at = tag + 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_paragraphs_tabs_and_references() {
        let xml = r#"<w:document><w:body><w:p><w:pPr><w:tabs/></w:pPr><w:r><w:t>氏名</w:t></w:r><w:r><w:tab/><w:t xml:space="preserve">山田 &amp; 田中</w:t></w:r></w:p><w:p><w:r><w:t>a&#x41;&#66;_x0009_c</w:t><w:br/><w:t/><w:t>next</w:t></w:r></w:p><w:p><w:r><w:t>unclosed"#;
        assert_eq!(
            paragraph_text(xml.as_bytes(), "w:t", "w:p"),
            "氏名\t山田 & 田中\naAB\tc\nnext\nunclosed"
        );
        let slide = r#"<p:sld><a:p><a:r><a:t>Slide</a:t></a:r></a:p><a:p><a:r><a:t>two</a:t></a:r></a:p></p:sld>"#;
        assert_eq!(
            paragraph_text(slide.as_bytes(), "a:t", "a:p"),
            "Slide\ntwo\n"
        );
    }
}
