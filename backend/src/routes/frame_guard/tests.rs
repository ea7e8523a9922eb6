//! The guard against hand-built frame headers: every length encoding, masks, splits across
//! reads, and the first oversized header ending the stream.

use super::*;

const LIMIT: usize = 64 * 1024;
const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];
const TEXT: u8 = 0x81;
const PING: u8 = 0x89;
const CLOSE: u8 = 0x88;
const CONTINUATION: u8 = 0x00;

/// A frame as a client sends it: `masked` sets MASK and adds a key; the payload is left
/// unmasked, since the reader never looks at it.
fn frame(first: u8, payload_len: usize, masked: bool) -> Vec<u8> {
    let mut out = header(first, widen(payload_len), masked);
    out.resize(out.len() + payload_len, b'x');
    out
}

/// A header declaring `declared` bytes, in the shortest form that holds it.
fn header(first: u8, declared: u64, masked: bool) -> Vec<u8> {
    let mask = if masked { MASK_BIT } else { 0 };
    let mut out = vec![first];
    match declared {
        0..=125 => out.push(mask | u8::try_from(declared).unwrap()),
        126..=65_535 => {
            out.push(mask | EXTENDED_16);
            out.extend(u16::try_from(declared).unwrap().to_be_bytes());
        }
        _ => {
            out.push(mask | EXTENDED_64);
            out.extend(declared.to_be_bytes());
        }
    }
    if masked {
        out.extend(KEY);
    }
    out
}

/// Feeds `chunks` in order; the first refusal, if any, with the chunk index it came in.
fn read_all<'a>(chunks: impl IntoIterator<Item = &'a [u8]>) -> Option<(usize, Oversized)> {
    let mut reader = HeaderReader::new(LIMIT);
    chunks
        .into_iter()
        .enumerate()
        .find_map(|(index, chunk)| reader.read(chunk).err().map(|err| (index, err)))
}

/// Every way to split `stream` in two, each fed as two chunks.
fn every_split(stream: &[u8]) -> impl Iterator<Item = [&[u8]; 2]> {
    (0..=stream.len()).map(|at| {
        let (a, b) = stream.split_at(at);
        [a, b]
    })
}

fn mixed_stream() -> Vec<u8> {
    [
        frame(TEXT, 5, true),
        frame(TEXT, 0, true),
        frame(PING, 125, true),
        frame(TEXT & 0x7f, 300, true),
        frame(CONTINUATION | 0x80, 1_000, true),
        frame(TEXT, LIMIT, true),
        frame(CLOSE, 2, true),
        frame(TEXT, 126, false),
        frame(TEXT, 0, false),
    ]
    .concat()
}

#[test]
fn frames_within_the_limit_pass_at_every_split_point() {
    let stream = mixed_stream();
    for split in every_split(&stream) {
        assert_eq!(read_all(split), None);
    }
}

#[test]
fn frames_within_the_limit_pass_fed_one_byte_at_a_time() {
    let stream = mixed_stream();
    assert_eq!(read_all(stream.chunks(1)), None);
}

#[test]
fn the_reader_lands_on_the_next_header_after_every_kind_of_frame() {
    // A miscounted frame would make the reader take payload bytes for headers and miss
    // this one (or refuse something else).
    let mut stream = mixed_stream();
    let tail = header(TEXT, widen(LIMIT + 1), true);
    stream.extend(&tail);
    for split in every_split(&stream) {
        let (_, oversized) = read_all(split).expect("the oversized header is found");
        assert_eq!(oversized.error.declared, widen(LIMIT + 1));
    }
}

#[test]
fn exactly_the_limit_passes_and_one_more_byte_is_refused_in_16_bit_form() {
    let at_limit = header(TEXT, 1_000, true);
    assert_eq!(at_limit[1] & LENGTH_BITS, EXTENDED_16);
    assert_eq!(HeaderReader::new(1_000).read(&at_limit), Ok(()));
    let over = header(TEXT, 1_001, true);
    let refused = HeaderReader::new(1_000).read(&over).unwrap_err();
    assert_eq!(
        refused.error,
        FrameTooLarge {
            declared: 1_001,
            limit: 1_000
        }
    );
}

#[test]
fn exactly_the_limit_passes_and_one_more_byte_is_refused_in_7_bit_form() {
    assert_eq!(
        HeaderReader::new(100).read(&header(TEXT, 100, true)),
        Ok(())
    );
    let refused = HeaderReader::new(100).read(&header(TEXT, 101, true));
    assert_eq!(refused.unwrap_err().error.declared, 101);
}

#[test]
fn exactly_the_limit_passes_and_one_more_byte_is_refused_in_64_bit_form() {
    // 65,536 does not fit 16 bits, so the limit itself already takes the 64-bit form.
    let at_limit = header(TEXT, widen(LIMIT), true);
    assert_eq!(at_limit[1] & LENGTH_BITS, EXTENDED_64);
    assert_eq!(read_all([at_limit.as_slice()]), None);
    let over = header(TEXT, widen(LIMIT + 1), true);
    let (_, refused) = read_all([over.as_slice()]).unwrap();
    assert_eq!(refused.error.declared, widen(LIMIT + 1));
}

#[test]
fn a_64_bit_length_with_its_top_bit_set_is_refused() {
    let over = header(TEXT, u64::MAX, true);
    let (_, refused) = read_all([over.as_slice()]).unwrap();
    assert_eq!(refused.error.declared, u64::MAX);
}

#[test]
fn the_largest_length_under_the_largest_limit_does_not_overflow_the_count() {
    let mut reader = HeaderReader::new(usize::MAX);
    assert_eq!(reader.read(&header(TEXT, u64::MAX, true)), Ok(()));
    assert_eq!(reader.read(&[b'x'; 1_000]), Ok(()));
}

#[test]
fn a_16_mib_header_is_refused_before_its_masking_key_arrives() {
    let over = header(TEXT, 16 << 20, true);
    // Base 2 + 8 length bytes: the verdict needs nothing more.
    let length_field = over.get(..LENGTH_FIELD_END).unwrap();
    let mut reader = HeaderReader::new(LIMIT);
    let (last, rest) = length_field.split_last().unwrap();
    for byte in rest {
        assert_eq!(reader.read(std::slice::from_ref(byte)), Ok(()));
    }
    assert!(reader.read(std::slice::from_ref(last)).is_err());
}

#[test]
fn an_unmasked_frame_is_skipped_without_a_key() {
    // Unmasked client frames are actix's to refuse (1002); the reader must still count them.
    let stream = [frame(TEXT, 10, false), header(TEXT, 1 << 20, false)].concat();
    let (_, refused) = read_all([stream.as_slice()]).unwrap();
    assert_eq!(refused.frame_start, 12);
}

#[test]
fn control_frames_between_fragments_are_counted_like_any_frame() {
    let stream = [
        frame(TEXT & 0x7f, 40, true),
        frame(PING, 4, true),
        frame(CONTINUATION | 0x80, 40, true),
        header(CLOSE, 200_000, true),
    ]
    .concat();
    let (_, refused) = read_all(stream.chunks(3)).unwrap();
    assert_eq!(refused.error.declared, 200_000);
}

#[test]
fn the_refusal_points_at_the_oversized_frames_first_byte() {
    let before = [frame(TEXT, 20, true), frame(PING, 0, true)].concat();
    let stream = [before.clone(), header(TEXT, 1 << 24, true)].concat();
    let (_, refused) = read_all([stream.as_slice()]).unwrap();
    assert_eq!(refused.frame_start, before.len());
    // A header split across chunks started before the chunk that completes it.
    let (first, second) = stream.split_at(before.len() + 3);
    let (index, refused) = read_all([first, second]).unwrap();
    assert_eq!((index, refused.frame_start), (1, 0));
}

#[test]
fn a_payload_ending_exactly_at_a_chunk_edge_is_followed_by_a_header() {
    let first = frame(TEXT, 200, true);
    let second = header(TEXT, 1 << 20, true);
    let (index, refused) = read_all([first.as_slice(), second.as_slice()]).unwrap();
    assert_eq!((index, refused.frame_start), (1, 0));
}

type Chunks = futures_util::stream::Iter<std::vec::IntoIter<Result<Bytes, PayloadError>>>;

/// Drives `guard` to its end with a no-op waker: the bytes it passed, its failure, and how
/// often it was pending.
fn drain(mut guard: FrameGuard<Chunks>) -> (Vec<u8>, Option<String>, usize) {
    let mut cx = Context::from_waker(std::task::Waker::noop());
    let (mut passed, mut failure, mut pendings) = (Vec::new(), None, 0);
    for _ in 0..1_000_000 {
        match Pin::new(&mut guard).poll_next(&mut cx) {
            Poll::Ready(Some(Ok(chunk))) => passed.extend_from_slice(&chunk),
            Poll::Ready(Some(Err(err))) => failure = Some(err.to_string()),
            Poll::Ready(None) => return (passed, failure, pendings),
            Poll::Pending => pendings += 1,
        }
    }
    panic!("the guard never ended");
}

/// `stream` as a guarded body of `size`-byte chunks.
fn chunks_of(stream: &[u8], size: usize) -> FrameGuard<Chunks> {
    let chunks: Vec<_> = stream
        .chunks(size)
        .map(|chunk| Ok(Bytes::copy_from_slice(chunk)))
        .collect();
    FrameGuard::new(futures_util::stream::iter(chunks), LIMIT)
}

#[test]
fn the_guard_passes_a_stream_within_the_limit_byte_for_byte() {
    let stream = mixed_stream();
    for size in [1, 7, 1460, stream.len()] {
        let (passed, failure, pendings) = drain(chunks_of(&stream, size));
        assert_eq!((passed == stream, failure, pendings), (true, None, 0));
    }
}

#[test]
fn the_guard_passes_the_frames_before_an_oversized_header_then_fails_once() {
    let before = [frame(TEXT, 20, true), frame(PING, 3, true)].concat();
    let stream = [before.clone(), header(TEXT, 16 << 20, true), vec![b'x'; 9]].concat();
    for size in [1, 5, stream.len()] {
        let (passed, failure, pendings) = drain(chunks_of(&stream, size));
        assert!(passed.len() >= before.len() && passed.starts_with(&before));
        assert!(passed.len() < before.len() + LENGTH_FIELD_END, "{size}");
        assert_eq!(pendings, 1, "one yield so actix-ws decodes what it has");
        let failure = failure.expect("the stream fails");
        assert!(failure.contains("16777216"), "{failure}");
    }
}
