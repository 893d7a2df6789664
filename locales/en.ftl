# English — second language. Tone: calm and plain.

## Welcome

start-briefing =
    Hello. This is the bot of an independent newsroom. Here you can tell, anonymously, what you saw and went through in the army: why you left, refused to fight, or want to leave.

    <b>What is kept.</b> Every answer is encrypted the moment it arrives. Only the editors can read it — on their own computers, with their own keys. We do not keep your name, phone number, username or Telegram ID.

    <b>What Telegram sees.</b> Telegram knows your phone number and IP address and sees that you are writing to this bot; messages pass through its servers. At the end the bot deletes the conversation from this chat, but delete the chat on your side too.

    <b>How to stay safer.</b>
    • If you can, write from a separate account that is not tied to your main number.
    • Do not name people, unit numbers or places you do not want to reveal.
    • Turn on auto-delete in Telegram and delete this chat when you are done.
    { start-safer-channels }

start-safer-channels = If you may be watched or your phone may be checked, Telegram is not the best way. Ask the newsroom for a safer channel, or contact a human rights group such as "Idite Lesom" (Get Lost).

start-choose-language = Language: /language

## Commands

help-text =
    What the bot can do:
    /start — the beginning and the safety rules
    /privacy — what the bot keeps and what it does not
    /language — change the language
    /help — this help

    The bot answers only in a private chat.

privacy-text =
    <b>What the bot keeps</b>
    • Your answers and files — only encrypted. The keys to decrypt them are with the editors, not on the server.
    • Instead of your Telegram ID, a one-way hash. Nobody can tell from it who you are.
    • Dates — to the day, without the time.

    <b>What the bot does not keep</b>
    • Your name, phone number, username, Telegram ID.
    • Message text in the server logs.

    <b>What the bot cannot hide</b>
    • Telegram sees that you are writing to the bot and knows your number and IP address.
    • Anyone who gets hold of your phone will see this chat until you delete it.

language-choose = Choose a language:
language-saved = Done: the bot now speaks English.

## Unclear input

unhandled-text = I only understand buttons and commands. To begin — /start, help — /help.
unhandled-button = This button no longer works. Press /start to continue.

## Language names (the same in every file)

language-button-ru = Русский
language-button-en = English
