#!/usr/bin/env python3
# GStreamer 1.22 playing a DASH MPD or an HLS playlist with the audio of one language,
# which gst-launch cannot ask for. Prints what gst-launch prints and the tests read: one
# checksumsink line per decoded video frame, "Got EOS from element" at the end, errors on
# stderr; exits 0 only at EOS. The audio goes to a file as 48 kHz mono S16LE.
#
#   gstSelectAudio.py playbin|playbin3 URI LANGUAGE AUDIO_FILE
#
# playbin (dashdemux, hlsdemux) downloads every audio track and an input-selector picks
# one: set `current-audio` to the track whose tags carry the language once they arrive.
# playbin3 (dashdemux2, hlsdemux2) downloads only the selected tracks: answer the
# demuxer's first stream-collection message, synchronously, with a select-streams event
# sent to that demuxer. In 1.22.0 a select-streams sent to playbin3 is dropped by
# decodebin3 when the demuxer does the selection, and one sent to the demuxer once
# playback has started stalls the pipeline (docs/architecture.md).
import sys

import gi

gi.require_version('Gst', '1.0')
from gi.repository import GLib, Gst  # noqa: E402


def language_of(tags):
    if tags is None:
        return None
    found, value = tags.get_string('language-code')
    return value if found else None


def main():
    playbin_name, uri, language, audio_file = sys.argv[1:5]
    Gst.init(None)
    playbin = Gst.ElementFactory.make(playbin_name, None)
    playbin.set_property('uri', uri)
    playbin.set_property('video-sink', Gst.ElementFactory.make('checksumsink', None))
    capture = 'audioconvert ! audioresample ! audio/x-raw,format=S16LE,channels=1,rate=48000 ! filesink name=capture'
    audio_sink = Gst.parse_bin_from_description(capture, True)
    audio_sink.get_by_name('capture').set_property('location', audio_file)
    playbin.set_property('audio-sink', audio_sink)
    loop = GLib.MainLoop()
    state = {'code': 1, 'selected': False}

    def select_current_audio():
        for i in range(playbin.get_property('n-audio')):
            if language_of(playbin.emit('get-audio-tags', i)) == language:
                if playbin.get_property('current-audio') != i:
                    playbin.set_property('current-audio', i)
                    print(f'selected audio track {i} ({language})', flush=True)
                break
        return False

    def on_collection(_bus, message):
        if state['selected']:
            return
        collection = message.parse_stream_collection()
        video = audio = None
        for i in range(collection.get_size()):
            stream = collection.get_stream(i)
            kind = stream.get_stream_type()
            if kind & Gst.StreamType.VIDEO and video is None:
                video = stream.get_stream_id()
            if kind & Gst.StreamType.AUDIO and audio is None and language_of(stream.get_tags()) == language:
                audio = stream.get_stream_id()
        state['selected'] = True
        if video is None or audio is None:
            print(f'no video or no {language} audio in the stream collection of {message.src.get_name()}', file=sys.stderr, flush=True)
            return
        message.src.send_event(Gst.Event.new_select_streams([video, audio]))
        print(f'selected {video} and {audio} ({language}) at {message.src.get_name()}', flush=True)

    def on_message(_bus, message):
        if message.type == Gst.MessageType.EOS:
            print('Got EOS from element', flush=True)
            state['code'] = 0
            loop.quit()
        elif message.type == Gst.MessageType.ERROR:
            error, debug = message.parse_error()
            print(f'ERROR: from element {message.src.get_name()}: {error.message}\n{debug}', file=sys.stderr, flush=True)
            loop.quit()

    bus = playbin.get_bus()
    bus.add_signal_watch()
    bus.connect('message', on_message)
    if playbin_name == 'playbin3':
        bus.enable_sync_message_emission()
        bus.connect('sync-message::stream-collection', on_collection)
    else:
        playbin.connect('audio-tags-changed', lambda _playbin, _index: GLib.idle_add(select_current_audio))
    playbin.set_state(Gst.State.PLAYING)
    loop.run()
    playbin.set_state(Gst.State.NULL)
    return state['code']


if __name__ == '__main__':
    sys.exit(main())
