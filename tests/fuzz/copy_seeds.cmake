# Copies every *.safetensors under SEEDS (valid/ and malformed/) and GOLDEN into OUT.
file(GLOB_RECURSE seeds ${SEEDS}/*.safetensors ${GOLDEN}/*.safetensors)
foreach(seed ${seeds})
  get_filename_component(kind ${seed} DIRECTORY)
  get_filename_component(kind ${kind} NAME)
  get_filename_component(name ${seed} NAME)
  configure_file(${seed} ${OUT}/${kind}-${name} COPYONLY)
endforeach()
