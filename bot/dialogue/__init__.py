"""The conversation around the engine: understanding replies, rendering steps. No Rasa imports."""
