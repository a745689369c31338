"""apiweld.codegen"""
