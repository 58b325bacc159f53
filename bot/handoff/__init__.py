"""What a support agent receives when the bot hands a case over."""
