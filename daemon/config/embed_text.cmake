# cmake -DIN=file -DOUT=file.cpp -DNAME=symbol -P embed_text.cmake: a C++ file defining
# `const char* const newsd::config::NAME` as IN's text.
file(READ "${IN}" text)
file(WRITE "${OUT}" "namespace newsd::config {\nextern const char* const ${NAME};\nconst char* const ${NAME} = R\"newsd_embed(${text})newsd_embed\";\n}\n")
