#!/usr/bin/env bash
# Regenerates the small test media under test/fixtures/ with ffmpeg (lavfi sources only,
# so no input files are needed). Idempotent: every run rebuilds the same files.
# Run from the repo root:  bash scripts/make-fixtures.sh
#
# Sets (8 s each, 24 fps, 2 s GOPs so that every level has 4 aligned fragments):
#   clean/  every stream starts at t=0: video -bf 0; AAC pre-encoded to .m4a and read back
#           with -ignore_editlist 1 (the priming samples become ordinary samples at t=0).
#           One .ismv per video level, audio alone in audio.isma, plus clean.ism (SMIL).
#   users/  what users' files look like: ffmpeg defaults with B-frames (first video tfxd
#           time > 0) and AAC encoded directly (first audio tfxd time -213333 = -1024
#           samples of priming). The same audio is muxed INTO each video level's .ismv
#           (track 2), as Expression Encoder-style and ffmpeg-made ladders usually are;
#           users.ism takes video from each file and audio (trackID 2) from the first.
#   multitrack.ismv  one file, 2 video levels + 2 AAC tracks (eng, fra), B-frames + priming.
#   cmaf.mp4   fragmented MP4 with tfdt and no tfxd (H.264 + AAC), like Bento4/CMAF output.
#   plain.mp4  unfragmented 2 s MP4 (H.264 + AAC, faststart).
#   progressive/  plain (unfragmented) MP4 renditions as encoders hand them out: 29.97 fps,
#           B-frames (edit list media_time = 2 frames), AAC priming (media_time 1024),
#           keyframes forced every 2 s; see make_progressive. Only this set is rebuilt by
#           `bash scripts/make-fixtures.sh progressive`.
#   opengop/  open GOP (x264 open-gop=1) as ffmpeg users make it: an -f ismv ladder, one
#           more -f ismv level with other B-frame decisions, plain MP4 renditions with 3, 2
#           and 1 B-frames; see make_opengop. `bash scripts/make-fixtures.sh opengop`.
#   othertools/  files as other tools write them (GStreamer's qtmux, mp4mux and ismlmux,
#           ffmpeg's .mov); see make_othertools. Only this set is rebuilt by
#           `bash scripts/make-fixtures.sh othertools`. GStreamer's muxers write the wall
#           clock into mvhd/tkhd/mdhd, so these files differ between runs in those times only.
#   protected/  already-encrypted sources made by other tools from clean/v120.ismv and
#           clean/audio.isma (key and KID below; see make_protected): Shaka Packager's CENC and
#           cbcs fragmented MP4 (PlayReady and Widevine pssh in the moov), ffmpeg's
#           -encryption_scheme cenc-aes-ctr ISMV (no per-fragment senc: undecryptable), and a
#           PlayReady PIFF ISMV pair + .ism + .ismc (smoothpub's Manifest of the pair) built from the CENC output by
#           test/harness/piffFixture.ts (no tool here writes PIFF). Only this set is rebuilt
#           by `bash scripts/make-fixtures.sh protected` (needs npm ci: Shaka Packager, tsc).
#   dolby/  AC-3 and E-AC-3 (see make_dolby): video.ismv (H.264 192x108, 4 s, -bf 0),
#           eac3.isma (E-AC-3 5.1(side), 192 kbit/s; each channel its own tone) and ac3.isma
#           (AC-3 stereo, 96 kbit/s), eac3.ism / ac3.ism over the video and one of them, and
#           eac3.mp4 / ac3.mp4 (plain MP4: the same video and audio). Only this set is
#           rebuilt by `bash scripts/make-fixtures.sh dolby`.
#   textpass/  text_en.ismt: an IIS-style Smooth text track (stpp, PIFF tfxd, one TTML
#           document per fragment timed from the fragment's start) of text/captions.en.vtt,
#           at clean/v120.ismv's fragment times, built by test/harness/textTrackFixture.ts
#           (ffmpeg 5.1 refuses TTML in ISMV). `bash scripts/make-fixtures.sh textpass`.
#   tx3g/   movtext.mp4: plain MP4 with 3GPP timed text as users make it (`-c:s mov_text`):
#           clean/v120.ismv's video and clean/audio.isma's AAC copied, text/styled.srt as track
#           3 (eng; bold/italic/underline/colors, overlapping cues, non-ASCII) and
#           text/subtitles.fr.srt as track 4 (fra, -disposition captions: a udta/kind
#           'caption' box) and tx3g/unicode.srt (committed, written by hand) as track 5 (jpn:
#           styles after non-ASCII and astral characters, whose offsets count characters).
#           `bash scripts/make-fixtures.sh tx3g`.
set -euo pipefail

cd "$(dirname "$0")/.."
OUT=test/fixtures
DUR=8
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# -threads 1 keeps x264 output identical between runs; bitexact flags drop version strings.
FF=(ffmpeg -hide_banner -loglevel error -y)
BITEXACT=(-fflags +bitexact -flags:v +bitexact -flags:a +bitexact)
X264=(-c:v libx264 -threads 1 -pix_fmt yuv420p -preset veryfast -profile:v high)
GOP=(-r 24 -g 48 -keyint_min 48 -sc_threshold 0)
VSRC() { echo "testsrc2=size=$1:rate=24:duration=$DUR"; }
ASRC() { echo "sine=frequency=$1:sample_rate=48000:duration=$DUR"; }

# name  size     bitrate(kbps)
LADDER=(
  "v400 320x180 400"
  "v250 256x144 250"
  "v120 192x108 120"
)
rate_args() { echo "-b:v ${1}k -maxrate ${1}k -bufsize $((2 * $1))k"; }

# ---- progressive/ --------------------------------------------------------------------
# v300.mp4, v200.mp4, v100.mp4: one H.264 level each (x264 defaults: 3 B-frames) + the same
# AAC track (ffmpeg's default priming), keyframes at every 2 s (frames 0, 60, 120, 180 at
# 30000/1001 fps) and nowhere else. v300.mp4 keeps the moov at the end (no faststart).
# languages.mp4: one level + two AAC tracks (eng 440 Hz, fra 660 Hz).
# ctts1.mp4: one level with signed composition offsets (ctts version 1, no B-frame edit).
# misaligned/a.mp4, b.mp4: keyframes every 2 s vs every 2.5 s (the misaligned-ladder error).
# vfr.mp4: variable frame rate, 4 s video only: every 5th frame of a 29.97 fps source dropped
# (select keeps the others' times, -fps_mode vfr keeps the gaps: stts deltas 1001 and 2002),
# B-frames, keyframes forced at the 2 s marks.
make_progressive() {
  local P="$OUT/progressive"
  local KEYS=(-r 30000/1001 -g 600 -keyint_min 600 -sc_threshold 0 -force_key_frames 'expr:gte(t,n_forced*2)')
  local V="testsrc2=size=%s:rate=30000/1001:duration=$DUR"
  rm -rf "$P"
  mkdir -p "$P/misaligned"
  local level name size kbps faststart
  for level in "v300 320x180 300" "v200 256x144 200" "v100 192x108 100"; do
    read -r name size kbps <<<"$level"
    faststart=(-movflags +faststart)
    [ "$name" = v300 ] && faststart=()
    # shellcheck disable=SC2046
    "${FF[@]}" -f lavfi -i "$(printf "$V" "$size")" -f lavfi -i "$(ASRC 440)" \
      "${X264[@]}" "${KEYS[@]}" $(rate_args "$kbps") -c:a aac -b:a 64k -ac 2 "${faststart[@]}" \
      "${BITEXACT[@]}" -f mp4 "$P/$name.mp4"
  done
  "${FF[@]}" -f lavfi -i "$(printf "$V" 192x108)" -f lavfi -i "$(ASRC 440)" -f lavfi -i "$(ASRC 660)" \
    -map 0:v -map 1:a -map 2:a "${X264[@]}" "${KEYS[@]}" $(rate_args 100) -c:a aac -b:a 48k -ac 2 \
    -metadata:s:a:0 language=eng -metadata:s:a:1 language=fra -movflags +faststart \
    "${BITEXACT[@]}" -f mp4 "$P/languages.mp4"
  "${FF[@]}" -f lavfi -i "$(printf "$V" 192x108)" "${X264[@]}" "${KEYS[@]}" $(rate_args 100) \
    -movflags +faststart+negative_cts_offsets "${BITEXACT[@]}" -f mp4 "$P/ctts1.mp4"
  "${FF[@]}" -f lavfi -i "$(printf "$V" 192x108)" "${X264[@]}" "${KEYS[@]}" $(rate_args 100) \
    -movflags +faststart "${BITEXACT[@]}" -f mp4 "$P/misaligned/a.mp4"
  "${FF[@]}" -f lavfi -i "$(printf "$V" 160x90)" "${X264[@]}" -r 30000/1001 -g 600 -keyint_min 600 -sc_threshold 0 \
    -force_key_frames 'expr:gte(t,n_forced*2.5)' $(rate_args 80) -movflags +faststart "${BITEXACT[@]}" -f mp4 "$P/misaligned/b.mp4"
  "${FF[@]}" -f lavfi -i "testsrc2=size=192x108:rate=30000/1001:duration=4" -vf "select='not(eq(mod(n\\,5)\\,2))'" \
    -fps_mode vfr "${X264[@]}" -g 600 -keyint_min 600 -sc_threshold 0 -force_key_frames 'expr:gte(t,n_forced*2)' \
    $(rate_args 100) -movflags +faststart "${BITEXACT[@]}" -f mp4 "$P/vfr.mp4"
}

# ---- opengop/ ------------------------------------------------------------------------
# Open GOP (x264 -x264-params open-gop=1): a keyframe decodes before the B-frames shown ahead
# of it, which go into its fragment. 8 s, 30 fps, 2 s GOPs (-g 60 -keyint_min 60: with
# open-gop, -force_key_frames gives I-frames that are not sync samples).
#   v300.ismv, v200.ismv, v100.ismv  -f ismv ladder, each with the same AAC as track 2;
#           b-adapt=0 (every level the same frame types, so their fragments decode from the
#           same times). ffmpeg's tfxd says 0, 20000000, ... (the keyframes' presentation
#           times) and 20000000 each; the samples last 19000000, 20000000, 20000000, 21000000.
#   adaptive.ismv  video only, 320x180, x264's own B-frame decisions (b-adapt=1): its
#           fragments decode from other times than the ladder's, though its tfxd agree.
#   mp4/v300.mp4 (-bf 3), mp4/v200.mp4 (-bf 2), mp4/v100.mp4 (-bf 1): plain MP4 renditions
#           at 29.97 fps with the same AAC as track 2: keyframes presented at the same times
#           (every 60 frames) but decoded at different times (different B-frame delays).
make_opengop() {
  local G="$OUT/opengop"
  rm -rf "$G"
  mkdir -p "$G/mp4"
  local level name size kbps bf
  for level in "v300 320x180 300" "v200 256x144 200" "v100 192x108 100"; do
    read -r name size kbps <<<"$level"
    # shellcheck disable=SC2046
    "${FF[@]}" -f lavfi -i "testsrc2=size=$size:rate=30:duration=$DUR" -f lavfi -i "$(ASRC 440)" \
      "${X264[@]}" -x264-params open-gop=1:b-adapt=0 -r 30 -g 60 -keyint_min 60 -sc_threshold 0 \
      $(rate_args "$kbps") -c:a aac -b:a 48k -ac 2 "${BITEXACT[@]}" -f ismv "$G/$name.ismv"
  done
  # shellcheck disable=SC2046
  "${FF[@]}" -f lavfi -i "testsrc2=size=320x180:rate=30:duration=$DUR" \
    "${X264[@]}" -x264-params open-gop=1 -r 30 -g 60 -keyint_min 60 -sc_threshold 0 \
    $(rate_args 300) "${BITEXACT[@]}" -f ismv "$G/adaptive.ismv"
  for level in "v300 320x180 300 3" "v200 256x144 200 2" "v100 192x108 100 1"; do
    read -r name size kbps bf <<<"$level"
    # shellcheck disable=SC2046
    "${FF[@]}" -f lavfi -i "testsrc2=size=$size:rate=30000/1001:duration=$DUR" -f lavfi -i "$(ASRC 440)" \
      "${X264[@]}" -bf "$bf" -x264-params open-gop=1 -r 30000/1001 -g 60 -keyint_min 60 -sc_threshold 0 \
      $(rate_args "$kbps") -c:a aac -b:a 48k -ac 2 -movflags +faststart "${BITEXACT[@]}" -f mp4 "$G/mp4/$name.mp4"
  done
}

# ---- dolby/ --------------------------------------------------------------------------
# Audio is encoded to .mp4 first and read back with -ignore_editlist 1, as clean/ does, so
# every stream starts at 0 (the encoders' 256-sample delay becomes ordinary samples).
# E-AC-3 5.1(side): FL 440 Hz, FR 550, FC 660, LFE 80, SL 770, SR 880, so a test can tell
# every decoded channel by its tone. ffmpeg writes the ec-3 entry with channelcount 2; only
# dec3 says 3/2+LFE. -f ismv needs -movflags +delay_moov to write AC-3/E-AC-3 (the dac3/dec3
# are made from the first packet). -frag_duration: an .isma is one fragment otherwise.
make_dolby() {
  local D="$OUT/dolby" T="$TMP/dolby" f
  rm -rf "$D" "$T"
  mkdir -p "$D" "$T"
  local S=() freq
  for freq in 440 550 660 80 770 880; do S+=(-f lavfi -i "sine=frequency=$freq:sample_rate=48000:duration=4"); done
  "${FF[@]}" "${S[@]}" -filter_complex '[0][1][2][3][4][5]join=inputs=6:channel_layout=5.1(side)[a]' -map '[a]' \
    -c:a eac3 -b:a 192k "${BITEXACT[@]}" "$T/eac3.mp4"
  "${FF[@]}" "${S[@]:0:8}" -filter_complex '[0][1]join=inputs=2:channel_layout=stereo[a]' -map '[a]' \
    -c:a ac3 -b:a 96k "${BITEXACT[@]}" "$T/ac3.mp4"
  # shellcheck disable=SC2046
  "${FF[@]}" -f lavfi -i "testsrc2=size=192x108:rate=24:duration=4" "${X264[@]}" -bf 0 "${GOP[@]}" $(rate_args 100) \
    "${BITEXACT[@]}" -f mp4 "$T/video.mp4"
  "${FF[@]}" -i "$T/video.mp4" -c copy "${BITEXACT[@]}" -f ismv "$D/video.ismv"
  for f in eac3 ac3; do
    "${FF[@]}" -ignore_editlist 1 -i "$T/$f.mp4" -c:a copy -movflags +delay_moov -frag_duration 2000000 \
      "${BITEXACT[@]}" -f ismv "$D/$f.isma"
    "${FF[@]}" -i "$T/video.mp4" -ignore_editlist 1 -i "$T/$f.mp4" -map 0:v -map 1:a -c copy -movflags +faststart \
      "${BITEXACT[@]}" -f mp4 "$D/$f.mp4"
    {
      echo '<?xml version="1.0" encoding="utf-8"?>'
      echo '<smil xmlns="http://www.w3.org/2001/SMIL20/Language">'
      echo '  <head>'
      echo "    <meta name=\"clientManifestRelativePath\" content=\"$f.ismc\"/>"
      echo '  </head>'
      echo '  <body>'
      echo '    <switch>'
      echo '      <video src="video.ismv" systemBitrate="100000">'
      echo '        <param name="trackID" value="1" valuetype="data"/>'
      echo '      </video>'
      echo "      <audio src=\"$f.isma\" systemBitrate=\"$([ "$f" = eac3 ] && echo 192000 || echo 96000)\">"
      echo '        <param name="trackID" value="1" valuetype="data"/>'
      echo '      </audio>'
      echo '    </switch>'
      echo '  </body>'
      echo '</smil>'
    } >"$D/$f.ism"
  done
}

# ---- othertools/ ---------------------------------------------------------------------
# Needs GStreamer's x264enc and avenc_aac (Debian: gstreamer1.0-plugins-ugly, gstreamer1.0-libav);
# the tests only play these files, so CI installs neither encoder.
# qtmux.mov     GStreamer qtmux: H.264 256x144 30 fps (x264enc, keyframe every 60 frames) +
#               AAC 48 kHz stereo (avenc_aac), 4 s. QuickTime-flavoured: the avc1 entry's
#               children end with a 4-byte zero, mp4a is sound description version 1 with
#               its esds inside a 'wave' atom.
# mp4mux.mp4    GStreamer mp4mux, the same media with voaacenc, 4 s (ISO sample entries).
# ffmpeg.mov    ffmpeg -f mov: H.264 + AAC 48 kHz, 4 s (mp4a version 1, esds in 'wave').
# ffmpeg-96k.mov  ffmpeg -f mov: H.264 160x90 + AAC 96 kHz, 2 s (mp4a version 2: the rate
#               does not fit version 0/1's 16.16 field).
# ismlmux.ismv  GStreamer ismlmux fragment-duration=2000: 2 H.264 levels (256x144 160 kbit/s,
#               192x108 80 kbit/s) at 30000/1001 fps with a keyframe every 60 frames + AAC, 8 s.
#               2000 ms is 59.94 frames, so each level alternates 59-frame fragments (starting
#               at a keyframe) and 1-frame fragments (starting at a non-key frame).
# avc3.mp4      GStreamer mp4mux of x264enc ! h264parse ! stream-format=avc3: the avcC holds no
#               SPS/PPS (they are in-band only) + AAC, 2 s 160x90: refused, with the fix in the message.
# avc3-avcc.mp4 ffmpeg -tag:v avc3 (x264 repeat-headers=1): avc3 whose avcC carries SPS/PPS
#               (also in-band) + AAC, 2 s 160x90: supported.
make_othertools() {
  local O="$OUT/othertools"
  rm -rf "$O"
  mkdir -p "$O"
  local GST=(gst-launch-1.0 -q)
  # threads=1: x264 output identical between runs (as for ffmpeg above).
  local X264ENC="x264enc threads=1 key-int-max=60"
  local V30="video/x-raw,format=I420,width=256,height=144,framerate=30/1"
  local A48="audio/x-raw,rate=48000,channels=2"
  "${GST[@]}" videotestsrc num-buffers=120 ! "$V30" ! $X264ENC bitrate=200 ! h264parse ! qtmux name=m ! filesink location="$O/qtmux.mov" \
    audiotestsrc num-buffers=188 freq=440 ! "$A48" ! avenc_aac bitrate=64000 ! aacparse ! m.
  "${GST[@]}" videotestsrc num-buffers=120 ! "$V30" ! $X264ENC bitrate=200 ! h264parse ! mp4mux name=m ! filesink location="$O/mp4mux.mp4" \
    audiotestsrc num-buffers=188 freq=440 ! "$A48" ! voaacenc bitrate=64000 ! aacparse ! m.
  "${FF[@]}" -f lavfi -i "testsrc2=size=256x144:rate=30:duration=4" -f lavfi -i "$(ASRC 440)" -t 4 \
    "${X264[@]}" -g 60 -keyint_min 60 -sc_threshold 0 $(rate_args 200) -c:a aac -b:a 64k -ac 2 \
    "${BITEXACT[@]}" -f mov "$O/ffmpeg.mov"
  "${FF[@]}" -f lavfi -i "testsrc2=size=160x90:rate=30:duration=2" -f lavfi -i "sine=frequency=440:sample_rate=96000:duration=2" \
    "${X264[@]}" -g 60 -keyint_min 60 -sc_threshold 0 $(rate_args 100) -c:a aac -b:a 64k -ac 2 \
    "${BITEXACT[@]}" -f mov "$O/ffmpeg-96k.mov"
  "${GST[@]}" videotestsrc num-buffers=240 ! video/x-raw,format=I420,width=256,height=144,framerate=30000/1001 ! tee name=t \
    t. ! queue ! $X264ENC bitrate=160 ! h264parse ! m. \
    t. ! queue ! videoscale ! video/x-raw,width=192,height=108 ! $X264ENC bitrate=80 ! h264parse ! m. \
    audiotestsrc num-buffers=375 freq=440 ! "$A48" ! avenc_aac bitrate=64000 ! aacparse ! m. \
    ismlmux name=m fragment-duration=2000 ! filesink location="$O/ismlmux.ismv"
  "${GST[@]}" videotestsrc num-buffers=60 ! video/x-raw,format=I420,width=160,height=90,framerate=30/1 ! $X264ENC bitrate=100 ! h264parse \
    ! video/x-h264,stream-format=avc3 ! mp4mux name=m ! filesink location="$O/avc3.mp4" \
    audiotestsrc num-buffers=94 freq=440 ! "$A48" ! voaacenc bitrate=64000 ! aacparse ! m.
  "${FF[@]}" -f lavfi -i "testsrc2=size=160x90:rate=30:duration=2" -f lavfi -i "$(ASRC 440)" -t 2 \
    "${X264[@]}" -x264-params repeat-headers=1 -g 60 -keyint_min 60 -sc_threshold 0 $(rate_args 100) -tag:v avc3 \
    -c:a aac -b:a 64k -ac 2 -movflags +faststart "${BITEXACT[@]}" -f mp4 "$O/avc3-avcc.mp4"
}

# ---- protected/ ----------------------------------------------------------------------
# The key and KID every protected fixture uses (tests decrypt with them).
PROTECTED_KEY=00112233445566778899aabbccddeeff
PROTECTED_KID=0123456789abcdef0123456789abcdef
make_protected() {
  local O="$OUT/protected"
  local PACKAGER=node_modules/shaka-packager/bin/packager-linux-x64
  rm -rf "$O"
  mkdir -p "$O/cenc" "$O/cbcs" "$O/piff" "$O/ffmpeg"
  for scheme in cenc cbcs; do
    "$PACKAGER" --quiet \
      "in=$OUT/clean/v120.ismv,stream=video,output=$O/$scheme/video.mp4" \
      "in=$OUT/clean/audio.isma,stream=audio,output=$O/$scheme/audio.mp4" \
      --enable_raw_key_encryption --keys "label=:key_id=$PROTECTED_KID:key=$PROTECTED_KEY" \
      --protection_scheme "$scheme" --protection_systems PlayReady,Widevine --clear_lead 0 \
      --segment_duration 2 --fragment_duration 2 >/dev/null
  done
  # ffmpeg 5.1 writes senc/saiz/saio (empty) in the moov's stbl and none in any traf.
  "${FF[@]}" -i "$OUT/clean/v120.ismv" -i "$OUT/clean/audio.isma" -map 0:v -map 1:a -c copy \
    -encryption_scheme cenc-aes-ctr -encryption_key "$PROTECTED_KEY" -encryption_kid "$PROTECTED_KID" \
    "${BITEXACT[@]}" -f ismv "$O/ffmpeg/ffmpeg.ismv"
  npx tsc -p tsconfig.json
  node dist/test/harness/piffFixture.js "$O/cenc/video.mp4" "$O/piff/v120.ismv" --aux-info
  node dist/test/harness/piffFixture.js "$O/cenc/audio.mp4" "$O/piff/audio.isma"
  {
    echo '<?xml version="1.0" encoding="utf-8"?>'
    echo '<smil xmlns="http://www.w3.org/2001/SMIL20/Language">'
    echo '  <head>'
    echo '    <meta name="clientManifestRelativePath" content="piff.ismc" />'
    echo '  </head>'
    echo '  <body>'
    echo '    <switch>'
    echo '      <video src="v120.ismv" systemBitrate="120000"><param name="trackID" value="1" valuetype="data" /></video>'
    echo '      <audio src="audio.isma" systemBitrate="64000"><param name="trackID" value="1" valuetype="data" /></audio>'
    echo '    </switch>'
    echo '  </body>'
    echo '</smil>'
  } >"$O/piff/piff.ism"
  # The client manifest IIS kept beside the .ism (piff.ismc): smoothpub's own Manifest of the
  # pair, its <Protection> taken from the PIFF protection header in the moov.
  rm -rf "$TMP/piff-package"
  node bin/smoothpub.js package "$O/piff/piff.ism" -o "$TMP/piff-package" >/dev/null
  cp "$TMP/piff-package/Manifest" "$O/piff/piff.ismc"
}

# ---- hevc/ ---------------------------------------------------------------------------
# HEVC (libx265) ladders, 4 s, 24 fps, a closed GOP every 2 s (keyint=48, open-gop=0,
# scenecut=0: keyframes at the same times in both levels), x265's default B-frames, plus one
# AAC track (pre-encoded once, the same bytes in every file, so it is one rendition):
#   v200.ismv, v100.ismv   -f ismv (ffmpeg writes the sample entry 'hev1'): 256x144 at
#           200 kbit/s and 192x108 at 100 kbit/s, AAC as track 2.
#   mp4/v200.mp4, mp4/v100.mp4   the same as plain (unfragmented) MP4 with -tag:v hvc1 and
#           +faststart (sample entry 'hvc1').
# frame-threads=1 and pools=none keep x265 output identical between runs.
# Only this set is rebuilt by `bash scripts/make-fixtures.sh hevc`.
make_hevc() {
  local H="$OUT/hevc"
  rm -rf "$H"
  mkdir -p "$H/mp4"
  local X265=(-c:v libx265 -preset ultrafast -pix_fmt yuv420p -r 24
    -x265-params keyint=48:min-keyint=48:scenecut=0:open-gop=0:frame-threads=1:pools=none:log-level=error)
  "${FF[@]}" -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=4" -c:a aac -b:a 48k -ac 2 \
    "${BITEXACT[@]}" "$TMP/hevc-audio.m4a"
  local level name size kbps
  for level in "v200 256x144 200" "v100 192x108 100"; do
    read -r name size kbps <<<"$level"
    # shellcheck disable=SC2046
    "${FF[@]}" -f lavfi -i "testsrc2=size=$size:rate=24:duration=4" -i "$TMP/hevc-audio.m4a" \
      -map 0:v -map 1:a "${X265[@]}" $(rate_args "$kbps") -c:a copy "${BITEXACT[@]}" -f ismv "$H/$name.ismv"
    "${FF[@]}" -i "$H/$name.ismv" -map 0 -c copy -tag:v hvc1 -movflags +faststart \
      "${BITEXACT[@]}" -f mp4 "$H/mp4/$name.mp4"
  done
}

# ---- textpass/ -----------------------------------------------------------------------
make_textpass() {
  mkdir -p "$OUT/textpass"
  npx tsc -p tsconfig.json
  node dist/test/harness/textTrackFixture.js "$OUT/clean/v120.ismv" "$OUT/text/captions.en.vtt" eng "$OUT/textpass/text_en.ismt"
}

# ---- tx3g/ ---------------------------------------------------------------------------
# -map_metadata -1 and bitexact keep the file the same between runs (no encoder string).
make_tx3g() {
  mkdir -p "$OUT/tx3g"
  "${FF[@]}" -i "$OUT/clean/v120.ismv" -i "$OUT/clean/audio.isma" -i "$OUT/text/styled.srt" -i "$OUT/text/subtitles.fr.srt" -i "$OUT/tx3g/unicode.srt" \
    -map 0:v -map 1:a -map 2 -map 3 -map 4 -c:v copy -c:a copy -c:s mov_text -map_metadata -1 \
    -metadata:s:s:0 language=eng -metadata:s:s:1 language=fra -metadata:s:s:2 language=jpn \
    -disposition:s:0 0 -disposition:s:1 captions -disposition:s:2 0 \
    -movflags +faststart "${BITEXACT[@]}" -f mp4 "$OUT/tx3g/movtext.mp4"
}

# One set alone (`bash scripts/make-fixtures.sh <set>`) rebuilds only its folder.
case "${1:-}" in
  progressive | opengop | dolby | othertools | protected | hevc | textpass | tx3g)
    "make_$1"
    du -sh "$OUT/$1"
    exit 0
    ;;
esac

rm -rf "$OUT/clean" "$OUT/users" "$OUT/multitrack.ismv" "$OUT/cmaf.mp4" "$OUT/cmaf" "$OUT/plain.mp4"
mkdir -p "$OUT/clean" "$OUT/users"

# ---- clean/ --------------------------------------------------------------------------
"${FF[@]}" -f lavfi -i "$(ASRC 440)" -c:a aac -b:a 64k -ac 2 "${BITEXACT[@]}" "$TMP/audio.m4a"
"${FF[@]}" -ignore_editlist 1 -i "$TMP/audio.m4a" -map 0:a -c:a copy -frag_duration 2000000 \
  "${BITEXACT[@]}" -f ismv "$OUT/clean/audio.isma"
for level in "${LADDER[@]}"; do
  read -r name size kbps <<<"$level"
  # shellcheck disable=SC2046
  "${FF[@]}" -f lavfi -i "$(VSRC "$size")" "${X264[@]}" -bf 0 "${GOP[@]}" $(rate_args "$kbps") \
    "${BITEXACT[@]}" -f ismv "$OUT/clean/$name.ismv"
done
{
  echo '<?xml version="1.0" encoding="utf-8"?>'
  echo '<smil xmlns="http://www.w3.org/2001/SMIL20/Language">'
  echo '  <head>'
  echo '    <meta name="clientManifestRelativePath" content="clean.ismc"/>'
  echo '  </head>'
  echo '  <body>'
  echo '    <switch>'
  for level in "${LADDER[@]}"; do
    read -r name size kbps <<<"$level"
    echo "      <video src=\"$name.ismv\" systemBitrate=\"$((kbps * 1000))\">"
    echo '        <param name="trackID" value="1" valuetype="data"/>'
    echo '      </video>'
  done
  echo '      <audio src="audio.isma" systemBitrate="64000">'
  echo '        <param name="trackID" value="1" valuetype="data"/>'
  echo '      </audio>'
  echo '    </switch>'
  echo '  </body>'
  echo '</smil>'
} >"$OUT/clean/clean.ism"

# ---- users/ --------------------------------------------------------------------------
for level in "${LADDER[@]}"; do
  read -r name size kbps <<<"$level"
  # shellcheck disable=SC2046
  "${FF[@]}" -f lavfi -i "$(VSRC "$size")" -f lavfi -i "$(ASRC 440)" \
    "${X264[@]}" "${GOP[@]}" $(rate_args "$kbps") -c:a aac -b:a 64k -ac 2 \
    "${BITEXACT[@]}" -f ismv "$OUT/users/$name.ismv"
done
{
  echo '<?xml version="1.0" encoding="utf-8"?>'
  echo '<smil xmlns="http://www.w3.org/2001/SMIL20/Language">'
  echo '  <head>'
  echo '    <meta name="clientManifestRelativePath" content="users.ismc"/>'
  echo '  </head>'
  echo '  <body>'
  echo '    <switch>'
  for level in "${LADDER[@]}"; do
    read -r name size kbps <<<"$level"
    echo "      <video src=\"$name.ismv\" systemBitrate=\"$((kbps * 1000))\">"
    echo '        <param name="trackID" value="1" valuetype="data"/>'
    echo '      </video>'
  done
  read -r first _ <<<"${LADDER[0]}"
  echo "      <audio src=\"$first.ismv\" systemBitrate=\"64000\">"
  echo '        <param name="trackID" value="2" valuetype="data"/>'
  echo '      </audio>'
  echo '    </switch>'
  echo '  </body>'
  echo '</smil>'
} >"$OUT/users/users.ism"

# ---- multitrack.ismv -----------------------------------------------------------------
"${FF[@]}" -f lavfi -i "$(VSRC 320x180)" -f lavfi -i "$(ASRC 440)" -f lavfi -i "$(ASRC 660)" \
  -map 0:v -map 0:v -map 1:a -map 2:a \
  "${X264[@]}" "${GOP[@]}" \
  -filter:v:0 scale=320:180 -b:v:0 300k -maxrate:v:0 300k -bufsize:v:0 600k \
  -filter:v:1 scale=192:108 -b:v:1 120k -maxrate:v:1 120k -bufsize:v:1 240k \
  -c:a aac -b:a 64k -ac 2 \
  -metadata:s:a:0 language=eng -metadata:s:a:1 language=fra \
  "${BITEXACT[@]}" -f ismv "$OUT/multitrack.ismv"

# ---- cmaf.mp4 ------------------------------------------------------------------------
"${FF[@]}" -f lavfi -i "$(VSRC 256x144)" -f lavfi -i "$(ASRC 440)" \
  "${X264[@]}" "${GOP[@]}" $(rate_args 200) -c:a aac -b:a 64k -ac 2 \
  -movflags +frag_keyframe+empty_moov+default_base_moof -frag_duration 2000000 \
  "${BITEXACT[@]}" -f mp4 "$OUT/cmaf.mp4"
# CMAF proper: one track per file, tfdt and no tfxd (cmaf.mp4 above interleaves both
# tracks in each moof, which Smooth cannot serve verbatim: it tests that error).
mkdir -p "$OUT/cmaf"
for kind in video audio; do
  if [ "$kind" = video ]; then map=0:v; else map=0:a; fi
  "${FF[@]}" -i "$OUT/cmaf.mp4" -map "$map" -c copy \
    -movflags +frag_keyframe+empty_moov+default_base_moof+cmaf -frag_duration 2000000 \
    "${BITEXACT[@]}" -f mp4 "$OUT/cmaf/$kind.mp4"
done

# ---- plain.mp4 -----------------------------------------------------------------------
"${FF[@]}" -f lavfi -i "testsrc2=size=192x108:rate=24:duration=2" -f lavfi -i "sine=duration=2" \
  "${X264[@]}" -b:v 100k -c:a aac -b:a 32k -movflags +faststart \
  "${BITEXACT[@]}" -f mp4 "$OUT/plain.mp4"

make_progressive
make_opengop
make_othertools
make_protected
make_hevc
make_dolby
make_textpass
make_tx3g

du -sh "$OUT"
