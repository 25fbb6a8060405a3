"""The model scorer's llama.cpp engine: GGUF conversion (`convert`), the engine (`engine`), the
tokenizer without transformers (`tokenizer`), loading with its cache and fallback (`load`)."""
