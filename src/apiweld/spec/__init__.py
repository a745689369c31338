"""apiweld.spec"""
