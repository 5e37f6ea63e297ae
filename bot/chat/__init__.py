"""The chat interface: `/frister` commands, buttons, forms and the home tab (bot.chat.service).

Platform-neutral: answers are bot.domain.messages.Message and bot.domain.forms.Form with neutral
markup (bot.domain.markup) that an adapter renders (handlers/ for Slack).
"""
