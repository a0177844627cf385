//! Files from outside, checked before they are kept: images decoded under limits (a
//! decompression bomb or a truncated file is refused, not half-read), re-encoded into a
//! preview that carries none of the original's metadata (EXIF, GPS), and any file holding
//! markup a browser would run refused. The original is kept untouched as evidence; people
//! see the preview. Pure: bytes in, bytes out.

use std::io::Cursor;

use image::{ImageFormat, ImageReader, Limits};

use crate::domain::attachment::MediaType;

/// The longest side of an image accepted, in pixels.
pub const MAX_SIDE: u32 = 12_000;
/// The most memory a decoder may take for one image.
const MAX_ALLOC: u64 = 512 << 20;
/// The longest side of a preview.
pub const PREVIEW_SIDE: u32 = 1_280;
/// JPEG quality of previews.
const PREVIEW_QUALITY: u8 = 82;
/// How far from its end a PDF must say `%%EOF`.
const PDF_TAIL: usize = 1_024;
/// The chunk that ends every PNG: length 0, `IEND`, its CRC.
const PNG_END: [u8; 12] = [0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82];

/// True when the file ends as its format requires. Decoders forgive a cut file (a JPEG cut in
/// half decodes, its lower half grey); evidence must not be half a photo.
fn ends_whole(bytes: &[u8], media_type: MediaType) -> bool {
    match media_type {
        // The end-of-image marker, then at most padding.
        MediaType::Jpeg => {
            let end = bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
            bytes[..end].ends_with(&[0xFF, 0xD9])
        }
        MediaType::Png => bytes.ends_with(&PNG_END),
        // RIFF says how long it is.
        MediaType::Webp => bytes
            .get(4..8)
            .and_then(|n| n.try_into().ok())
            .is_some_and(|n: [u8; 4]| u64::from(u32::from_le_bytes(n)) + 8 == bytes.len() as u64),
        MediaType::Pdf => bytes[bytes.len().saturating_sub(PDF_TAIL)..].windows(5).any(|w| w == b"%%EOF"),
    }
}

/// Why a file is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileProblem {
    /// An image larger than [`MAX_SIDE`] on a side.
    #[error("the image is {width}×{height} pixels; at most {MAX_SIDE} on a side")]
    TooManyPixels {
        /// Its width.
        width: u32,
        /// Its height.
        height: u32,
    },
    /// An image that does not decode: truncated, damaged, or not what its first bytes say.
    #[error("the image cannot be read: {0}")]
    Undecodable(String),
    /// A file without the end its format requires: cut short in transit or in a copy.
    #[error("the file is cut short (its format's end marker is missing)")]
    Truncated,
    /// Markup a browser would run, hidden in the file.
    #[error("the file holds web page markup ({0})")]
    Markup(&'static str),
}

impl FileProblem {
    /// A stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooManyPixels { .. } => "image_too_large",
            Self::Undecodable(_) => "image_undecodable",
            Self::Truncated => "file_truncated",
            Self::Markup(_) => "hidden_markup",
        }
    }

    /// What it means, in Chinese.
    pub fn zh(&self) -> String {
        match self {
            Self::TooManyPixels { width, height } => {
                format!("图片为 {width}×{height} 像素，每边最多 {MAX_SIDE} 像素")
            }
            Self::Undecodable(_) => "图片无法读取：文件不完整、已损坏，或内容与格式不符".into(),
            Self::Truncated => "文件不完整（缺少格式规定的结尾），可能在复制或传输中被截断，请重新导出".into(),
            Self::Markup(_) => "文件中夹带网页代码，出于安全考虑不予接收".into(),
        }
    }
}

/// What checking a file found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// Width and height, for images.
    pub dimensions: Option<(u32, u32)>,
    /// A re-encoded JPEG preview, for images.
    pub preview: Option<Vec<u8>>,
}

/// Markup that makes a file a polyglot a browser could run, as lowercase ASCII.
const MARKUP: &[&str] = &["<script", "<html", "<svg", "<iframe", "<object", "<embed", "javascript:"];

/// What ends a tag's name in HTML: a tag is only a tag with one of these after its name.
const TAG_END: &[u8] = b"\t\n\x0c\r />";

/// How far past its first byte a needle of [`MARKUP`] is read: the longest, and the byte
/// after it.
const LOOK: usize = 12;

/// The first of [`MARKUP`] (in its order) that `bytes` hold anywhere, in any case.
fn markup_in(bytes: &[u8]) -> Option<&'static str> {
    let mut scan = MarkupScan::default();
    scan.feed(bytes);
    scan.finish()
}

/// A search for [`MARKUP`] in a file read a piece at a time: a tag only as a browser reads
/// one, its name ended (`<svg/onload=…`, `<html>`), so that the compressed data of a large
/// photo, as good as random, does not spell one by chance (`<svg` alone turns up in about one
/// 20 MB photo in 25). One pass: only where a byte could start a needle (`<`, `j`, `J`) are the
/// needles compared. The last [`LOOK`] bytes of a piece wait for the next, so a needle across
/// two pieces is found as in one.
#[derive(Debug, Default)]
struct MarkupScan {
    found: [bool; MARKUP.len()],
    carry: Vec<u8>,
}

impl MarkupScan {
    fn feed(&mut self, bytes: &[u8]) {
        let mut window = std::mem::take(&mut self.carry);
        window.extend_from_slice(bytes);
        let settled = window.len().saturating_sub(LOOK);
        self.scan(&window, settled);
        self.carry = window.split_off(settled);
    }

    fn finish(mut self) -> Option<&'static str> {
        let rest = std::mem::take(&mut self.carry);
        self.scan(&rest, rest.len());
        MARKUP.iter().zip(self.found).find_map(|(needle, found)| found.then_some(*needle))
    }

    /// Looks for needles starting before `upto` in `window`.
    fn scan(&mut self, window: &[u8], upto: usize) {
        let starts = |b: &u8| *b == b'<' || b.eq_ignore_ascii_case(&b'j');
        let mut at = 0;
        while let Some(offset) = window[at..upto].iter().position(starts) {
            let here = &window[at + offset..];
            for (i, needle) in MARKUP.iter().enumerate() {
                let needle = needle.as_bytes();
                let named = here.len() >= needle.len() && here[..needle.len()].eq_ignore_ascii_case(needle);
                let ended = needle[0] != b'<' || here.get(needle.len()).is_some_and(|b| TAG_END.contains(b));
                if named && ended {
                    self.found[i] = true;
                }
            }
            at += offset + 1;
        }
    }
}

/// Checks the whole file at `path` like [`check`]. A document is read a piece at a time and
/// never held whole; an image is read whole, as decoding it needs.
pub fn check_file(path: &std::path::Path, media_type: MediaType) -> std::io::Result<Result<Checked, FileProblem>> {
    use std::io::Read as _;
    if format_of(media_type).is_some() {
        return Ok(check(&std::fs::read(path)?, media_type));
    }
    let mut file = std::fs::File::open(path)?;
    let (mut scan, mut tail, mut piece) = (MarkupScan::default(), Vec::new(), vec![0u8; 256 << 10]);
    loop {
        let n = file.read(&mut piece)?;
        if n == 0 {
            break;
        }
        scan.feed(&piece[..n]);
        tail.extend_from_slice(&piece[n.saturating_sub(PDF_TAIL)..n]);
        tail.drain(..tail.len().saturating_sub(PDF_TAIL));
    }
    if let Some(found) = scan.finish() {
        return Ok(Err(FileProblem::Markup(found)));
    }
    if !ends_whole(&tail, media_type) {
        return Ok(Err(FileProblem::Truncated));
    }
    Ok(Ok(Checked { dimensions: None, preview: None }))
}

fn format_of(media_type: MediaType) -> Option<ImageFormat> {
    match media_type {
        MediaType::Jpeg => Some(ImageFormat::Jpeg),
        MediaType::Png => Some(ImageFormat::Png),
        MediaType::Webp => Some(ImageFormat::WebP),
        MediaType::Pdf => None,
    }
}

/// Checks a whole file whose first bytes said `media_type`; for an image, makes its preview.
pub fn check(bytes: &[u8], media_type: MediaType) -> Result<Checked, FileProblem> {
    if let Some(found) = markup_in(bytes) {
        return Err(FileProblem::Markup(found));
    }
    if !ends_whole(bytes, media_type) {
        return Err(FileProblem::Truncated);
    }
    let Some(format) = format_of(media_type) else {
        return Ok(Checked { dimensions: None, preview: None });
    };
    let undecodable = |e: image::ImageError| FileProblem::Undecodable(e.to_string());
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_ALLOC);
    // The dimensions first, from the header alone: a bomb is refused before anything is
    // allocated for its pixels.
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits.clone());
    let (width, height) = reader.into_dimensions().map_err(undecodable)?;
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(FileProblem::TooManyPixels { width, height });
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits);
    let image = reader.decode().map_err(undecodable)?;
    // `thumbnail` would also enlarge a small image.
    let small = if width > PREVIEW_SIDE || height > PREVIEW_SIDE {
        image.thumbnail(PREVIEW_SIDE, PREVIEW_SIDE).to_rgb8()
    } else {
        image.to_rgb8()
    };
    let mut preview = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut preview, PREVIEW_QUALITY)
        .encode_image(&small)
        .map_err(undecodable)?;
    Ok(Checked { dimensions: Some((width, height)), preview: Some(preview) })
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// A PNG of `width`×`height` in one colour.
    pub fn png(width: u32, height: u32) -> Vec<u8> {
        let image = image::RgbImage::from_pixel(width, height, image::Rgb([200, 40, 40]));
        let mut out = Cursor::new(Vec::new());
        image.write_to(&mut out, ImageFormat::Png).unwrap();
        out.into_inner()
    }

    /// A JPEG of `width`×`height`.
    pub fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let image = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90).encode_image(&image).unwrap();
        out
    }

    #[test]
    fn an_image_gets_a_small_preview_of_its_own() {
        let checked = check(&jpeg(3000, 2000), MediaType::Jpeg).unwrap();
        assert_eq!(checked.dimensions, Some((3000, 2000)));
        let preview = checked.preview.unwrap();
        let shown = image::load_from_memory_with_format(&preview, ImageFormat::Jpeg).unwrap();
        assert_eq!((shown.width(), shown.height()), (PREVIEW_SIDE, 853));
        assert!(check(&png(40, 30), MediaType::Png).unwrap().preview.is_some());
    }

    #[test]
    fn metadata_of_the_original_does_not_reach_the_preview() {
        // An APP1 (EXIF) segment with a GPS position, right after the JPEG's start.
        let original = jpeg(64, 64);
        let exif = b"Exif\0\0GPSLatitude 27.55N GPSLongitude 119.70E";
        let mut tagged = original[..2].to_vec();
        tagged.extend_from_slice(&[0xFF, 0xE1]);
        tagged.extend_from_slice(&u16::try_from(exif.len() + 2).unwrap().to_be_bytes());
        tagged.extend_from_slice(exif);
        tagged.extend_from_slice(&original[2..]);
        let preview = check(&tagged, MediaType::Jpeg).unwrap().preview.unwrap();
        assert!(!preview.windows(11).any(|w| w == b"GPSLatitude"), "no EXIF in the preview");
        assert!(!preview.windows(4).any(|w| w == b"Exif"));
    }

    #[test]
    fn a_bomb_a_cut_file_and_a_polyglot_are_refused_with_their_codes() {
        let code = |bytes: &[u8], media_type| check(bytes, media_type).err().map(|e| e.code());
        // The header of a PNG claiming 100,000 × 100,000 pixels.
        let mut bomb = png(1, 1);
        bomb[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        let refused = code(&bomb, MediaType::Png);
        assert!(matches!(refused, Some("image_too_large" | "image_undecodable")), "{refused:?}");

        let whole = jpeg(200, 200);
        assert_eq!(code(&whole[..whole.len() / 2], MediaType::Jpeg), Some("file_truncated"));
        let whole = png(50, 50);
        assert_eq!(code(&whole[..whole.len() - 20], MediaType::Png), Some("file_truncated"));

        let mut polyglot = jpeg(16, 16);
        polyglot.extend_from_slice(b"<HTML><body onload=alert(1)>");
        assert_eq!(check(&polyglot, MediaType::Jpeg).err(), Some(FileProblem::Markup("<html")));

        assert_eq!(code(b"%PDF-1.7\n1 0 obj\n", MediaType::Pdf), Some("file_truncated"));
        assert_eq!(check(b"%PDF-1.7\n1 0 obj\n%%EOF\n", MediaType::Pdf).ok().map(|c| c.preview), Some(None));
        assert!(FileProblem::TooManyPixels { width: 1, height: 2 }.zh().contains("像素"));
    }

    #[test]
    fn markup_is_found_in_any_case_anywhere_and_named_in_the_lists_order() {
        assert_eq!(markup_in(b"abc<ScRiPt>"), Some("<script"));
        assert_eq!(markup_in(b"JAVASCRIPT:alert(1)"), Some("javascript:"));
        assert_eq!(markup_in(b"<svg/onload=x> ... <html\n"), Some("<html"), "the first in the list, not in the file");
        assert_eq!(markup_in(b"<scrip"), None, "cut at the end");
        assert_eq!(markup_in(b"<<<< jjj plain bytes"), None);
        // A tag's name must end as a browser ends it; the same letters running on are no tag.
        assert_eq!(markup_in(b"\x13<SvG\x9c\x01"), None);
        assert_eq!(markup_in(b"<svg"), None, "no tag at the very end either");
        assert_eq!(markup_in(b"<svg\tonload=x>"), Some("<svg"));
    }

    #[test]
    fn markup_across_the_pieces_of_a_file_read_in_pieces_is_found_as_in_one() {
        let text = b"xx<ScRiPt>yy JavaScript: <svg zz<html".as_slice();
        for cut in 0..=text.len() {
            for second in cut..=text.len() {
                let mut scan = MarkupScan::default();
                scan.feed(&text[..cut]);
                scan.feed(&text[cut..second]);
                scan.feed(&text[second..]);
                assert_eq!(scan.finish(), markup_in(text), "cut at {cut} and {second}");
            }
        }
        // A document on disk, read 256 KiB at a time, a tag on the boundary of two reads.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("scan.pdf");
        let mut pdf = b"%PDF-1.7\n".to_vec();
        // 1 MiB is four reads: the tag starts in the fourth and ends in the fifth.
        pdf.resize((1 << 20) - 3, b'.');
        pdf.extend_from_slice(b"<iframe src=x>");
        pdf.resize(3 << 20, b'.');
        pdf.extend_from_slice(b"\n%%EOF\n");
        std::fs::write(&path, &pdf).unwrap();
        assert_eq!(check_file(&path, MediaType::Pdf).unwrap(), Err(FileProblem::Markup("<iframe")));
        pdf[(1 << 20) - 3] = b'(';
        std::fs::write(&path, &pdf).unwrap();
        assert_eq!(check_file(&path, MediaType::Pdf).unwrap(), Ok(Checked { dimensions: None, preview: None }));
        pdf.truncate(pdf.len() - 4);
        std::fs::write(&path, &pdf).unwrap();
        assert_eq!(check_file(&path, MediaType::Pdf).unwrap(), Err(FileProblem::Truncated));
    }
}
