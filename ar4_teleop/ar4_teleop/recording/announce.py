# Copyright 2026 The AR4 LeRobot Authors
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.

"""
Voice prompts (``play_sounds``) spoken by a background thread, never by the recording loop.

Speech goes through lerobot's own ``log_say`` (which runs ``spd-say``, speech-dispatcher) when
that program exists, else through ``espeak-ng``; with neither, prompts are only logged. Each
prompt is spoken to its end before the next, so prompts never talk over each other; when more
than QUEUE_LIMIT wait, new ones are dropped rather than queued behind stale ones.
"""

import queue
import shutil
import subprocess
import threading
from typing import Callable, Optional

QUEUE_LIMIT = 4


def default_speech(log: Callable[[str], None] = print) -> Callable[[str], None]:
    """Return the function that speaks a prompt aloud (blocking) on this machine."""
    if shutil.which('spd-say'):
        from lerobot.utils.utils import log_say

        return lambda text: log_say(text, play_sounds=True, blocking=True)
    if shutil.which('espeak-ng'):
        return lambda text: subprocess.run(['espeak-ng', text], check=False,
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    log('[recorder] play_sounds: neither spd-say nor espeak-ng is installed; prompts are '
        'only printed')
    return lambda text: None


class Announcer:
    """Speak prompts in order on a daemon thread; ``say`` returns at once."""

    def __init__(self, speak: Optional[Callable[[str], None]] = None,
                 log: Callable[[str], None] = print):
        self.log = log
        self.speak = speak if speak is not None else default_speech(log)
        self._prompts: 'queue.Queue[Optional[str]]' = queue.Queue(maxsize=QUEUE_LIMIT)
        self._thread = threading.Thread(target=self._run, name='announcer', daemon=True)
        self._thread.start()

    def say(self, text: str) -> bool:
        """Queue a prompt; return False when it was dropped (too many waiting)."""
        self.log(f'[recorder] (says) {text}')
        try:
            self._prompts.put_nowait(text)
        except queue.Full:
            return False
        return True

    def _run(self) -> None:
        while True:
            text = self._prompts.get()
            if text is None:
                return
            try:
                self.speak(text)
            except Exception as error:  # noqa: B902 - a sound failure must not end prompts
                self.log(f'[recorder] could not speak "{text}": {error}')

    def close(self, timeout: float = 5.0) -> None:
        """Speak what is queued (up to ``timeout`` seconds), then stop the thread."""
        try:
            self._prompts.put(None, timeout=timeout)
        except queue.Full:
            return
        self._thread.join(timeout)
